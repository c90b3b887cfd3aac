import CHMACSHA256
public import VolstatCore

/// Turns identity numbers into person keys: HMAC-SHA256 under a secret, truncated to 128 bits.
///
/// The keyed inner and outer states are computed once; each number costs one copy of them and
/// two SHA-256 compressions, with no allocation (`CHMACSHA256`).
public final class Pseudonymiser: @unchecked Sendable {
    private let key: UnsafeMutablePointer<volstat_hmac_sha256_key>

    /// - Parameter secret: at least 16 bytes; read from `VOLSTAT_KEY` or `VOLSTAT_KEY_FILE`, never
    ///   from the pipeline file.
    public init(secret: [UInt8]) {
        key = .allocate(capacity: 1)
        secret.withUnsafeBufferPointer { volstat_hmac_sha256_init(key, $0.baseAddress, $0.count) }
    }

    deinit { key.deallocate() }

    /// The person key of a normalised identity number (ASCII, uppercase `X`).
    public func personKey(_ identityNumber: UnsafeRawBufferPointer) -> PersonKey {
        var code: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &code) { out in
            volstat_hmac_sha256(
                key, identityNumber.baseAddress, identityNumber.count,
                out.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        return PersonKey(high: UInt64(bigEndian: code.0), low: UInt64(bigEndian: code.1))
    }

    /// Checks an identity number and pseudonymises it when it is valid; the number itself is
    /// not kept (the caller masks it for a problem, see `ResidentIdentityNumber.masked`).
    ///
    /// With `verify` false the number is pseudonymised as it is, without the checks (validation off).
    public func check(_ raw: UnsafeRawBufferPointer, legacy: LegacyIdentityPolicy, verify: Bool = true) -> IdentityCheck
    {
        var unused: PendingPersonKey?
        return check(raw, legacy: legacy, verify: verify, deferKey: false, pending: &unused)
    }

    /// `check(_:legacy:verify:)`, except that when `deferKey` is true, a valid 18-character number
    /// is left unpseudonymised: the result has no person key, and `pending` holds the normalised
    /// number for `personKey(of:)` to pseudonymise later (on another thread, say). Otherwise
    /// `pending` is nil.
    func check(
        _ raw: UnsafeRawBufferPointer, legacy: LegacyIdentityPolicy, verify: Bool, deferKey: Bool,
        pending: inout PendingPersonKey?
    ) -> IdentityCheck {
        pending = nil
        if !verify { return IdentityCheck(personKey: personKey(raw)) }
        if raw.count == 18 {
            // The common case, without an array: the number in a stack buffer.
            var buffer: (UInt64, UInt64, UInt64) = (0, 0, 0)
            return withUnsafeMutableBytes(of: &buffer) { buffer in
                let number = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<18])
                number.copyMemory(from: raw)
                for index in number.indices where number[index] == UInt8(ascii: "x") {
                    number[index] = UInt8(ascii: "X")
                }
                return checked(
                    UnsafeRawBufferPointer(number), raw: raw, upgraded: false, deferKey: deferKey, &pending)
            }
        }
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
        return normalised.withUnsafeBytes {
            checked($0, raw: raw, upgraded: upgraded, deferKey: deferKey, &pending)
        }
    }

    /// The person key of a number that `check(_:legacy:verify:deferKey:pending:)` left pending.
    func personKey(of pending: PendingPersonKey) -> PersonKey {
        withUnsafeBytes(of: pending.number) { personKey(UnsafeRawBufferPointer(rebasing: $0[0..<18])) }
    }

    /// Validates a normalised number and pseudonymises it when valid (or leaves it in `pending`).
    private func checked(
        _ normalised: UnsafeRawBufferPointer, raw: UnsafeRawBufferPointer, upgraded: Bool, deferKey: Bool,
        _ pending: inout PendingPersonKey?
    )
        -> IdentityCheck
    {
        switch ResidentIdentityNumber.validate(normalised) {
        case .success(let birthDate):
            // A valid number has 18 bytes: it fits the 24 of `number`.
            assert(normalised.count == 18)
            if deferKey {
                var number: (UInt64, UInt64, UInt64) = (0, 0, 0)
                withUnsafeMutableBytes(of: &number) { $0.copyMemory(from: normalised) }
                pending = PendingPersonKey(number: number)
                return IdentityCheck(birthDate: birthDate, upgradedLegacy: upgraded)
            }
            return IdentityCheck(personKey: personKey(normalised), birthDate: birthDate, upgradedLegacy: upgraded)
        case .failure(let box):
            return IdentityCheck(problem: box.problem)
        }
    }
}

/// A valid identity number whose person key is still to be computed: its 18 normalised bytes,
/// kept only until `Pseudonymiser.personKey(of:)` turns them into the key. Printed, dumped or
/// shown by a failed test, it shows no digit of the number.
struct PendingPersonKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    fileprivate var number: (UInt64, UInt64, UInt64)

    fileprivate init(number: (UInt64, UInt64, UInt64)) { self.number = number }

    /// No number: what a used one is overwritten with.
    init() { number = (0, 0, 0) }

    var description: String { "PendingPersonKey(redacted)" }
    var debugDescription: String { description }
    var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
