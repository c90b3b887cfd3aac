import VolstatCore

/// Numbers as Chinese newspapers print them: 705万, 1.2亿, 3600, 15.6%, 64小时.
public enum ChineseNumberStyle {
    /// A count: below 10,000 as digits; from 10,000 in 万 and from 100,000,000 in 亿, with up to
    /// two decimals (trailing zeros dropped), rounded half up: 7,050,000 -> `705万`, 1,040,000 -> `104万`.
    public static func count(_ value: Int64) -> String {
        if value >= 100_000_000 { return scaled(value, 100_000_000) + "亿" }
        if value >= 10_000 { return scaled(value, 10_000) + "万" }
        return String(value)
    }

    /// A share as a percentage with one decimal: 0.15604 -> `15.6%`.
    public static func percent(_ numerator: Int64, _ denominator: Int64, decimals: Int = 1) -> String? {
        guard let units = DecimalFormat.roundedRatio(numerator, denominator, scale: decimals + 2) else {
            return nil
        }
        return DecimalFormat.fixed(units, scale: decimals) + "%"
    }

    /// Hours with one decimal, trailing `.0` dropped: `64小时`, `7.2小时`.
    public static func hours(hundredths: Int64, per denominator: Int64) -> String? {
        guard let tenths = DecimalFormat.roundedRatio(hundredths, denominator * 10, scale: 0) else { return nil }
        return trimmed(DecimalFormat.fixed(tenths, scale: 1)) + "小时"
    }

    private static func scaled(_ value: Int64, _ unit: Int64) -> String {
        let hundredths = DecimalFormat.roundedRatio(value, unit, scale: 2) ?? 0
        return trimmed(DecimalFormat.fixed(hundredths, scale: 2))
    }

    private static func trimmed(_ text: String) -> String {
        guard text.contains(".") else { return text }
        var text = text
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
