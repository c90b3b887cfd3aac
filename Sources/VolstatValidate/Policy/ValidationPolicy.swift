public import VolstatCore

/// What a rule's finding does to a row.
public enum Severity: String, Sendable, Codable {
    /// The row is rejected and written to the reject file.
    case error
    /// The row is kept; the finding is counted.
    case warning
    /// The rule is not checked.
    case off
}

/// How strict validation is: the severity of each rule, the reject-rate thresholds, and the
/// reference data that rules consult. Built from the pipeline file's `validate` section.
public struct ValidationPolicy: Sendable {
    /// False turns every rule off: rows are only read as far as the statistics need (required
    /// fields present, dates and hours parse, the volunteer known). For trusted exports, and to
    /// measure what validation costs.
    public var enabled = true
    /// Severity per rule code; rules not listed are errors.
    public var severities: [String: Severity] = [:]
    /// Largest share of rows that may be rejected overall (nil: no limit).
    public var maxRejectRate: Double?
    /// Largest share of rows that one rule may reject, by rule code.
    public var maxRejectRateByRule: [String: Double] = [:]
    /// How many files may be unreadable before the run fails.
    public var maxUnreadableFiles = 0
    /// Retired region codes and their successors (e.g. a county merged into a district).
    public var retiredRegions: [RegionCode: RegionCode] = [:]
    public var legacyIdentityNumbers: LegacyIdentityPolicy = .convert
    /// Accepted ages at registration, in whole years.
    public var ageRange: ClosedRange<Int> = 14...100

    public init() {}

    /// The severity of a rule: errors for structural rules, else as configured (error by default).
    public func severity(_ rule: Rule) -> Severity {
        guard rule.isAdjustable else { return .error }
        return severities[rule.code] ?? .error
    }
}
