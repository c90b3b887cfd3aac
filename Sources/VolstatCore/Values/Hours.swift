/// A number of hours in fixed point: whole hundredths of an hour, never floating point.
///
/// `Hours(parsing: "3.25")` is 325 hundredths. Input with more than two decimals is rounded
/// half up to the hundredth; negative and malformed input does not parse.
public struct Hours: Sendable, Hashable, Comparable, AdditiveArithmetic {
    public var hundredths: Int64

    public init(hundredths: Int64) { self.hundredths = hundredths }

    public static let zero = Hours(hundredths: 0)
    public static func + (a: Hours, b: Hours) -> Hours { Hours(hundredths: a.hundredths + b.hundredths) }
    public static func - (a: Hours, b: Hours) -> Hours { Hours(hundredths: a.hundredths - b.hundredths) }
    public static func < (a: Hours, b: Hours) -> Bool { a.hundredths < b.hundredths }

    /// Parses an unsigned decimal such as `3`, `3.5`, `.75` or `10.125` from UTF-8 bytes.
    /// Surrounding spaces are allowed; a sign, an exponent or more than 9 integer digits are not.
    public init?(parsing bytes: UnsafeRawBufferPointer) {
        var index = 0
        var end = bytes.count
        while index < end, bytes[index] == 0x20 { index += 1 }
        while end > index, bytes[end - 1] == 0x20 { end -= 1 }
        guard index < end else { return nil }
        var whole: Int64 = 0
        var integerDigits = 0
        while index < end, bytes[index] &- 0x30 < 10 {
            whole = whole * 10 + Int64(bytes[index] &- 0x30)
            integerDigits += 1
            index += 1
            if integerDigits > 9 { return nil }
        }
        var fraction: Int64 = 0
        var fractionDigits = 0
        var roundUp = false
        if index < end, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < end, bytes[index] &- 0x30 < 10 {
                let digit = Int64(bytes[index] &- 0x30)
                if fractionDigits < 2 {
                    fraction = fraction * 10 + digit
                } else if fractionDigits == 2 {
                    roundUp = digit >= 5
                }
                fractionDigits += 1
                index += 1
            }
            if fractionDigits == 0 && integerDigits == 0 { return nil }
        }
        guard index == end, integerDigits + fractionDigits > 0 else { return nil }
        if fractionDigits == 1 { fraction *= 10 }
        hundredths = whole * 100 + fraction + (roundUp ? 1 : 0)
    }

    /// Parses from a string (convenience for tests and configuration).
    public init?(_ text: String) {
        var text = text
        guard let value = text.withUTF8({ Hours(parsing: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = value
    }

    /// The value with exactly two decimals, e.g. `1234.50`.
    public var formatted: String { DecimalFormat.fixed(hundredths, scale: 2) }
}
