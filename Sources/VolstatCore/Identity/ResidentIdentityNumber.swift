/// Checks of a resident identity number (公民身份号码, GB 11643): 18 characters, the last an
/// ISO 7064 MOD 11-2 check character (`0`-`9` or `X`), with a real birth date inside.
///
/// The number itself is never stored: callers check it, pseudonymise it and drop it.
public enum ResidentIdentityNumber {
    /// Why a number is not a valid resident identity number; the raw value is never part of it.
    public enum Problem: Sendable, Equatable {
        case length(Int)
        case characters
        case checkDigit
        case birthDate
    }

    static let weights: [Int] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let checkCharacters: [UInt8] = Array("10X98765432".utf8)

    /// The check character for the first 17 digits.
    public static func checkCharacter(_ digits: UnsafeRawBufferPointer) -> UInt8 {
        var sum = 0
        for index in 0..<17 { sum += Int(digits[index] &- 0x30) * weights[index] }
        return checkCharacters[sum % 11]
    }

    /// Validates an 18-character number given as ASCII bytes (a lowercase `x` is accepted).
    /// Returns the birth date on success.
    public static func validate(_ bytes: UnsafeRawBufferPointer) -> Result<CivilDate, ProblemBox> {
        guard bytes.count == 18 else { return .failure(ProblemBox(.length(bytes.count))) }
        for index in 0..<17 where bytes[index] &- 0x30 >= 10 { return .failure(ProblemBox(.characters)) }
        var last = bytes[17]
        if last == UInt8(ascii: "x") { last = UInt8(ascii: "X") }
        guard last &- 0x30 < 10 || last == UInt8(ascii: "X") else { return .failure(ProblemBox(.characters)) }
        guard checkCharacter(bytes) == last else { return .failure(ProblemBox(.checkDigit)) }
        guard let birth = birthDate(bytes, offset: 6, yearDigits: 4) else {
            return .failure(ProblemBox(.birthDate))
        }
        return .success(birth)
    }

    /// Converts a legacy 15-digit number (two-digit birth year, no check character) to the
    /// 18-character form by inserting `19` and appending the check character; nil if malformed.
    public static func upgradeLegacy(_ bytes: UnsafeRawBufferPointer) -> [UInt8]? {
        guard bytes.count == 15 else { return nil }
        for byte in bytes where byte &- 0x30 >= 10 { return nil }
        var upgraded = [UInt8](bytes[0..<6]) + Array("19".utf8) + [UInt8](bytes[6..<15])
        upgraded.append(upgraded.withUnsafeBytes { checkCharacter($0) })
        return upgraded
    }

    static func birthDate(_ bytes: UnsafeRawBufferPointer, offset: Int, yearDigits: Int) -> CivilDate? {
        func number(_ from: Int, _ count: Int) -> Int {
            var value = 0
            for index in from..<(from + count) { value = value * 10 + Int(bytes[index] &- 0x30) }
            return value
        }
        let year = number(offset, yearDigits)
        return CivilDate(year: year, month: number(offset + yearDigits, 2), day: number(offset + yearDigits + 2, 2))
    }

    /// Masks all but the first four and the last four characters: `3601**********123X`.
    public static func masked(_ text: String) -> String {
        let characters = Array(text)
        guard characters.count > 8 else { return String(repeating: "*", count: characters.count) }
        return String(characters.prefix(4)) + String(repeating: "*", count: characters.count - 8)
            + String(characters.suffix(4))
    }
}

/// A `ResidentIdentityNumber.Problem` boxed as an `Error` for use in `Result`.
public struct ProblemBox: Error, Sendable, Equatable {
    public var problem: ResidentIdentityNumber.Problem
    public init(_ problem: ResidentIdentityNumber.Problem) { self.problem = problem }
}
