public import VolstatCore

/// The counts of the validate stage: per source file the rows read, accepted and rejected and the
/// findings per rule; the totals; and, once evaluated, the thresholds and whether they passed.
/// Written as `validation.json`.
public final class ValidationReport {
    /// The counts of one source file.
    public struct FileCounts: Sendable, Codable, Equatable {
        public var path: String
        public var dataset: String
        public var sha256: String = ""
        public var bytes: Int = 0
        public var rowsRead: Int = 0
        public var rowsAccepted: Int = 0
        public var rowsRejected: Int = 0
        /// Rows rejected per rule (a row that breaks two rules counts under both).
        public var rejectedByRule: [String: Int] = [:]
        /// Rows kept despite a rule at warning severity.
        public var warningsByRule: [String: Int] = [:]
        /// Why the file could not be read to its end; its rows are then not counted anywhere.
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case path, dataset, sha256, bytes, error
            case rowsRead = "rows_read"
            case rowsAccepted = "rows_accepted"
            case rowsRejected = "rows_rejected"
            case rejectedByRule = "rejected_by_rule"
            case warningsByRule = "warnings_by_rule"
        }
    }

    /// One threshold and how the data measured against it.
    public struct Threshold: Sendable, Codable, Equatable {
        /// `overall`, `unreadable_files`, or a rule code.
        public var subject: String
        public var limit: Double
        public var measured: Double
        public var count: Int
        public var passed: Bool
    }

    public private(set) var files: [FileCounts] = []
    private var fileIndex: [String: Int] = [:]
    /// The file begun last, whose rows are being counted.
    private var current = 0
    public private(set) var thresholds: [Threshold] = []

    public init() {}

    /// Starts counting a source file.
    public func begin(file path: String, dataset: Dataset, sha256: String, bytes: Int) {
        fileIndex[path] = files.count
        current = files.count
        files.append(FileCounts(path: path, dataset: dataset.rawValue, sha256: sha256, bytes: bytes))
    }

    /// Counts a row of the file begun last (rows arrive file by file).
    func count(findings: [Finding], rejected: Bool, policy: ValidationPolicy) {
        guard current < files.count else { return }
        let index = current
        files[index].rowsRead += 1
        if rejected { files[index].rowsRejected += 1 } else { files[index].rowsAccepted += 1 }
        guard !findings.isEmpty else { return }
        var seen = Set<String>()
        for finding in findings where seen.insert(finding.rule.code).inserted {
            switch policy.severity(finding.rule) {
            case .error: files[index].rejectedByRule[finding.rule.code, default: 0] += 1
            case .warning: files[index].warningsByRule[finding.rule.code, default: 0] += 1
            case .off: break
            }
        }
    }

    /// Fills in the files' SHA-256 digests, in the order the files were begun.
    public func setDigests(_ digests: [String]) {
        for (index, digest) in zip(files.indices, digests) { files[index].sha256 = digest }
    }

    /// Marks a file as unreadable from some point on: its rows are taken out of the accepted counts.
    public func fail(file path: String, message: String) {
        guard let index = fileIndex[path] else { return }
        files[index].error = message
        files[index].rowsRejected += files[index].rowsAccepted
        files[index].rowsAccepted = 0
        files[index].rejectedByRule[Rule.fileUnreadable.code, default: 0] += 1
    }

    /// The files read to their end: the totals and the thresholds count only their rows. An
    /// unreadable file keeps its own counts in `files` and counts once in `unreadableFiles`.
    private var readableFiles: [FileCounts] { files.filter { $0.error == nil } }

    public var rowsRead: Int { readableFiles.reduce(0) { $0 + $1.rowsRead } }
    public var rowsAccepted: Int { readableFiles.reduce(0) { $0 + $1.rowsAccepted } }
    public var rowsRejected: Int { readableFiles.reduce(0) { $0 + $1.rowsRejected } }
    public var unreadableFiles: Int { files.filter { $0.error != nil }.count }

    /// Rows rejected per rule, over the files read to their end.
    public var rejectedByRule: [String: Int] {
        readableFiles.reduce(into: [:]) { totals, file in
            for (rule, count) in file.rejectedByRule { totals[rule, default: 0] += count }
        }
    }

    /// Rows kept despite a warning, per rule, over the files read to their end.
    public var warningsByRule: [String: Int] {
        readableFiles.reduce(into: [:]) { totals, file in
            for (rule, count) in file.warningsByRule { totals[rule, default: 0] += count }
        }
    }

    /// Measures the data against the policy's thresholds. Rates are shares of the rows read from
    /// the files that could be read to their end: an unreadable file counts once, against
    /// `max_unreadable_files`, and none of its rows count in the rates.
    @discardableResult
    public func evaluate(_ policy: ValidationPolicy) -> [Threshold] {
        let read = rowsRead
        func rate(_ count: Int) -> Double { read == 0 ? 0 : Double(count) / Double(read) }
        var results: [Threshold] = []
        results.append(
            Threshold(
                subject: "unreadable_files", limit: Double(policy.maxUnreadableFiles),
                measured: Double(unreadableFiles),
                count: unreadableFiles, passed: unreadableFiles <= policy.maxUnreadableFiles))
        if let limit = policy.maxRejectRate {
            let rejected = rowsRejected
            results.append(
                Threshold(
                    subject: "overall", limit: limit, measured: rate(rejected), count: rejected,
                    passed: rate(rejected) <= limit))
        }
        let byRule = rejectedByRule
        for (code, limit) in policy.maxRejectRateByRule.sorted(by: { $0.key < $1.key }) {
            let count = byRule[code] ?? 0
            results.append(
                Threshold(
                    subject: code, limit: limit, measured: rate(count), count: count, passed: rate(count) <= limit))
        }
        thresholds = results
        return results
    }

    /// Whether every evaluated threshold passed.
    public var passed: Bool { thresholds.allSatisfy(\.passed) }
}
