public import VolstatCore

/// Orders requested in the period in one region (at any level): a row of `orders_by_region`.
public struct OrderStatistics: Sendable, Equatable {
    public var code: RegionCode
    public var level: RegionLevel
    public var orders: Int64 = 0
    public var completed: Int64 = 0
    /// Dispatched, accepted, completed and rated (点派接评).
    public var closedLoop: Int64 = 0
    public var reviewedWithinOneHour: Int64 = 0
    public var answeredWithinOneHour: Int64 = 0

    public init(code: RegionCode, level: RegionLevel) {
        self.code = code
        self.level = level
    }
}

/// Accumulates orders by the roll-up of their region code; an order without a region counts
/// nationally only.
public struct OrderAccumulator: Sendable {
    private var rows: [RegionCode: OrderStatistics] = [:]
    public let period: ClosedRange<CivilDate>

    public init(period: ClosedRange<CivilDate>) { self.period = period }

    public var isEmpty: Bool { rows.isEmpty }

    public mutating func add(_ facts: OrderFacts) {
        guard period.contains(facts.requestedAt.date) else { return }
        let codes = facts.region.map(RegionTable.rollUp) ?? [RegionTable.national]
        for code in codes {
            var row = rows[code] ?? OrderStatistics(code: code, level: RegionTable.level(of: code))
            row.orders += 1
            if facts.completedAt != nil { row.completed += 1 }
            if facts.closedLoop { row.closedLoop += 1 }
            if facts.reviewedWithinOneHour { row.reviewedWithinOneHour += 1 }
            if facts.answeredWithinOneHour { row.answeredWithinOneHour += 1 }
            rows[code] = row
        }
    }

    /// Every region with orders, sorted by code (the nation first).
    public var statistics: [OrderStatistics] { rows.values.sorted { $0.code < $1.code } }
}
