internal import Crypto
public import VolstatCore

/// Turns identity numbers into person keys: HMAC-SHA256 under a secret, truncated to 128 bits.
///
/// The keyed inner and outer states are computed once; each number costs one copy of them.
public final class Pseudonymiser: @unchecked Sendable {
    private let keyed: HMAC<SHA256>

    /// - Parameter secret: at least 16 bytes; read from `VOLSTAT_KEY` or `VOLSTAT_KEY_FILE`, never
    ///   from the pipeline file.
    public init(secret: [UInt8]) {
        keyed = HMAC<SHA256>(key: SymmetricKey(data: secret))
    }

    /// The person key of a normalised identity number (ASCII, uppercase `X`).
    public func personKey(_ identityNumber: UnsafeRawBufferPointer) -> PersonKey {
        var mac = keyed
        mac.update(data: identityNumber)
        let code = mac.finalize()
        return code.withUnsafeBytes { bytes in
            PersonKey(
                high: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                low: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
    }

    /// Checks an identity number and pseudonymises it when it is valid; the number itself is
    /// not kept, only a masked copy when it has a problem.
    ///
    /// With `verify` false the number is pseudonymised as it is, without the checks (validation off).
    public func check(_ raw: UnsafeRawBufferPointer, legacy: LegacyIdentityPolicy, verify: Bool = true) -> IdentityCheck
    {
        if !verify { return IdentityCheck(personKey: personKey(raw)) }
        var normalised = [UInt8](raw)
        for index in normalised.indices where normalised[index] == UInt8(ascii: "x") {
            normalised[index] = UInt8(ascii: "X")
        }
        var upgraded = false
        if normalised.count == 15, legacy == .convert,
            let converted = normalised.withUnsafeBytes({ ResidentIdentityNumber.upgradeLegacy($0) })
        {
            normalised = converted
            upgraded = true
        }
        let result = normalised.withUnsafeBytes { ResidentIdentityNumber.validate($0) }
        switch result {
        case .success(let birthDate):
            let key = normalised.withUnsafeBytes { personKey($0) }
            return IdentityCheck(personKey: key, birthDate: birthDate, upgradedLegacy: upgraded)
        case .failure(let box):
            let text = String(decoding: raw, as: UTF8.self)
            return IdentityCheck(problem: box.problem, masked: ResidentIdentityNumber.masked(text))
        }
    }
}
