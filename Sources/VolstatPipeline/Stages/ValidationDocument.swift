import VolstatCore
import VolstatValidate

/// The JSON shape of `validation.json`.
struct ValidationDocument: Encodable {
    struct Totals: Encodable {
        var rowsRead: Int
        var rowsAccepted: Int
        var rowsRejected: Int
        var rejectedByRule: [String: Int]
        var warningsByRule: [String: Int]
        var unreadableFiles: Int

        enum CodingKeys: String, CodingKey {
            case rowsRead = "rows_read"
            case rowsAccepted = "rows_accepted"
            case rowsRejected = "rows_rejected"
            case rejectedByRule = "rejected_by_rule"
            case warningsByRule = "warnings_by_rule"
            case unreadableFiles = "unreadable_files"
        }
    }

    struct RuleEntry: Encodable {
        var code: String
        var summary: String
        var severity: Severity
    }

    var pipeline: String
    var asOf: String
    var passed: Bool
    var files: [ValidationReport.FileCounts]
    var totals: Totals
    var thresholds: [ValidationReport.Threshold]
    var rules: [RuleEntry]

    enum CodingKeys: String, CodingKey {
        case pipeline, passed, files, totals, thresholds, rules
        case asOf = "as_of"
    }

    init(report: ValidationReport, policy: ValidationPolicy, pipeline: String, asOf: CivilDate) {
        self.pipeline = pipeline
        self.asOf = asOf.description
        passed = report.passed
        files = report.files
        totals = Totals(
            rowsRead: report.rowsRead, rowsAccepted: report.rowsAccepted, rowsRejected: report.rowsRejected,
            rejectedByRule: report.rejectedByRule, warningsByRule: report.warningsByRule,
            unreadableFiles: report.unreadableFiles)
        thresholds = report.thresholds
        rules = Rule.all.map { RuleEntry(code: $0.code, summary: $0.summary, severity: policy.severity($0)) }
    }
}
