import VolstatCore

/// When today's data looks wrong compared with the last published run of the same pipeline.
/// From the pipeline file's `drift` section; the defaults are the issue's: rows -20 % or +50 %
/// per source, registered -1 % per province and nationally.
public struct DriftPolicy: Sendable, Equatable {
    public var maxRowsDrop = 0.20
    public var maxRowsRise = 0.50
    public var maxRegisteredDrop = 0.01
    /// Largest change of total hours per province either way; nil: reported, never alerted.
    public var maxHoursChange: Double?
    /// Exceeding a limit fails the run (exit 1) instead of warning.
    public var fail = false

    public init() {}
}

/// `drift.json`: every comparison with the previous run and whether it stayed within its limit.
public struct DriftReport: Sendable, Encodable, Equatable {
    public struct Check: Sendable, Encodable, Equatable {
        /// `rows`, `registered` or `total_hours`.
        public var measure: String
        /// A source's key path (`sources[0]`) or a region code.
        public var subject: String
        public var previous: Int64
        public var current: Int64
        /// (current - previous) / previous; nil when previous is 0.
        public var change: Double?
        /// The allowed range of `change`, e.g. [-0.2, 0.5]; nil bounds are open.
        public var lowest: Double?
        public var highest: Double?
        public var withinLimits: Bool

        enum CodingKeys: String, CodingKey {
            case measure, subject, previous, current, change, lowest, highest
            case withinLimits = "within_limits"
        }
    }

    public var previousRun: Int64
    public var previousAsOf: String
    public var failsRun: Bool
    public var checks: [Check]

    enum CodingKeys: String, CodingKey {
        case checks
        case previousRun = "previous_run"
        case previousAsOf = "previous_as_of"
        case failsRun = "fails_run"
    }

    /// The checks outside their limits.
    public var alerts: [Check] { checks.filter { !$0.withinLimits } }

    /// Compares rows per source and, when `currentRegions` is given (a pipeline with volunteers),
    /// the national and provincial figures with the previous run.
    static func compare(
        policy: DriftPolicy, previous: RunLedger.RunEntry, previousRegions: [RunLedger.RegionFigure],
        rowsBySource: [String: Int], currentRegions: [RunLedger.RegionFigure]?
    ) -> DriftReport {
        var checks: [Check] = []
        func check(
            _ measure: String, _ subject: String, _ before: Int64, _ now: Int64, _ lowest: Double?, _ highest: Double?
        ) {
            let change = before == 0 ? nil : Double(now - before) / Double(before)
            var within = true
            if let change {
                if let lowest, change < -lowest { within = false }
                if let highest, change > highest { within = false }
            }
            checks.append(
                Check(
                    measure: measure, subject: subject, previous: before, current: now, change: change,
                    lowest: lowest.map { -$0 }, highest: highest, withinLimits: within))
        }
        var previousRows: [String: Int] = [:]
        for input in previous.inputs { previousRows[input.source, default: 0] += input.rowsRead }
        for source in Set(previousRows.keys).union(rowsBySource.keys).sorted() {
            check(
                "rows", source, Int64(previousRows[source] ?? 0), Int64(rowsBySource[source] ?? 0), policy.maxRowsDrop,
                policy.maxRowsRise)
        }
        if let currentRegions {
            // Every province (and the nation) of either run: one that disappeared drops to 0.
            let before = Dictionary(uniqueKeysWithValues: previousRegions.map { ($0.code, $0) })
            let now = Dictionary(uniqueKeysWithValues: currentRegions.map { ($0.code, $0) })
            for code in Set(before.keys).union(now.keys).sorted() {
                let (old, new) = (before[code], now[code])
                check(
                    "registered", RegionTable.text(code), old?.registered ?? 0, new?.registered ?? 0,
                    policy.maxRegisteredDrop, nil)
                check(
                    "total_hours", RegionTable.text(code), (old?.totalHundredths ?? 0) / 100,
                    (new?.totalHundredths ?? 0) / 100, policy.maxHoursChange, policy.maxHoursChange)
            }
        }
        return DriftReport(
            previousRun: previous.id, previousAsOf: previous.asOf, failsRun: policy.fail, checks: checks)
    }
}
