/// Exact decimal formatting of integers and ratios, rounded half up only when written.
public enum DecimalFormat {
    /// `value / 10^scale` written with exactly `scale` decimals: `fixed(12345, scale: 2)` is `123.45`.
    public static func fixed(_ value: Int64, scale: Int) -> String {
        let negative = value < 0
        let magnitude = value.magnitude
        var divisor: UInt64 = 1
        for _ in 0..<scale { divisor *= 10 }
        let whole = magnitude / divisor
        var text = (negative ? "-" : "") + String(whole)
        if scale > 0 {
            let fraction = String(magnitude % divisor)
            text += "." + String(repeating: "0", count: scale - fraction.count) + fraction
        }
        return text
    }

    /// `numerator / denominator` rounded half up to `scale` decimals, as an integer count of
    /// `10^-scale` units; nil when the denominator is zero. Both operands must be non-negative.
    public static func roundedRatio(_ numerator: Int64, _ denominator: Int64, scale: Int) -> Int64? {
        guard denominator > 0, numerator >= 0 else { return nil }
        var factor: Int64 = 1
        for _ in 0..<scale { factor *= 10 }
        let (scaled, overflow) = numerator.multipliedReportingOverflow(by: factor * 2)
        if overflow {
            let wide = (Double(numerator) / Double(denominator) * Double(factor)).rounded(.toNearestOrAwayFromZero)
            return Int64(wide)
        }
        return (scaled + denominator) / (denominator * 2)
    }

    /// `numerator / denominator` with `scale` decimals, rounded half up; empty when undefined.
    public static func ratio(_ numerator: Int64, _ denominator: Int64, scale: Int) -> String {
        guard let units = roundedRatio(numerator, denominator, scale: scale) else { return "" }
        return fixed(units, scale: scale)
    }
}
