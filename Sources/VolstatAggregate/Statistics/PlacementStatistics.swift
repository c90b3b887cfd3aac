public import VolstatCore

/// The counts of the Western programme for one service province (or the Corps, or the nation)
/// and one special programme (or all of them): a row of `placements_by_province`.
public struct PlacementStatistics: Sendable, Equatable {
    public var unit: RegionCode
    /// Index + 1 into `CodeTables.specialProgramme`; 0 for all programmes together.
    public var programme: UInt8
    /// Placements in any stage.
    public var applicants: Int64 = 0
    /// Placements in stage admitted, serving or ended.
    public var admitted: Int64 = 0
    /// Party members (01, 02) among applicants and admitted, over those with a known status.
    public var partyApplicants = GroupCount()
    public var partyAdmitted = GroupCount()
    /// Bachelor or above (degree 10, 20) among the admitted, over those with a known degree.
    public var bachelorOrAboveAdmitted = GroupCount()
    /// Stage ended with an end date on or before as_of.
    public var ended: Int64 = 0
    /// Ended with outcome stayed_local.
    public var stayedLocal: Int64 = 0

    public init(unit: RegionCode, programme: UInt8) {
        self.unit = unit
        self.programme = programme
    }

    /// The special programme's code, or `all`.
    public var programmeName: String {
        programme == 0 ? "all" : CodeTables.specialProgramme[Int(programme) - 1]
    }
}

/// One rule of the Western programme's structure, measured in one service province over the
/// placements in stage serving: a row of `programme_checks`.
public struct ProgrammeCheck: Sendable, Equatable {
    public var unit: RegionCode
    public var rule: String
    public var count: Int64
    public var serving: Int64
    /// The threshold as a fraction in thousandths (900 = 0.90).
    public var thresholdPerMille: Int64
    /// True for "at least", false for "at most".
    public var atLeast: Bool

    /// Whether the measured share meets the threshold, exactly (no rounding).
    public var passed: Bool {
        atLeast ? count * 1000 >= thresholdPerMille * serving : count * 1000 <= thresholdPerMille * serving
    }
}

/// Accumulates placements as they stream by: counts per (service unit, programme) and the
/// serving placements' structure per service unit.
public struct PlacementAccumulator: Sendable {
    private var rows: [Int64: PlacementStatistics] = [:]
    private var structure:
        [RegionCode: (serving: Int64, township: Int64, ruralEducation: Int64, youthWork: Int64, excellent: Int64)] = [:]
    public let asOf: CivilDate
    static let youthWork = UInt8(CodeTables.specialProgramme.firstIndex(of: "youth_work")! + 1)
    static let ruralEducation = UInt8(CodeTables.specialProgramme.firstIndex(of: "rural_education")! + 1)

    public init(asOf: CivilDate) { self.asOf = asOf }

    public var isEmpty: Bool { rows.isEmpty }

    public mutating func add(_ facts: PlacementFacts) {
        let admitted = facts.stage >= 2
        let ended = facts.stage == 4 && (facts.endDate.map { $0 <= asOf } ?? false)
        for unit in [RegionTable.national, facts.serviceUnit] {
            for programme in facts.specialProgramme == 0 ? [0] : [0, facts.specialProgramme] {
                let key = Int64(unit) << 8 | Int64(programme)
                var row = rows[key] ?? PlacementStatistics(unit: unit, programme: programme)
                row.applicants += 1
                row.partyApplicants.count(known: facts.politicalStatus != 0, member: facts.politicalStatus <= 2)
                if admitted {
                    row.admitted += 1
                    row.partyAdmitted.count(known: facts.politicalStatus != 0, member: facts.politicalStatus <= 2)
                    row.bachelorOrAboveAdmitted.count(
                        known: facts.degree != 0, member: facts.degree == 10 || facts.degree == 20)
                }
                if ended {
                    row.ended += 1
                    if facts.outcome == 1 { row.stayedLocal += 1 }
                }
                rows[key] = row
            }
        }
        if facts.stage == 3 {
            var entry = structure[facts.serviceUnit] ?? (0, 0, 0, 0, 0)
            entry.serving += 1
            if facts.postLevel == 1 { entry.township += 1 }
            if facts.specialProgramme == Self.ruralEducation { entry.ruralEducation += 1 }
            if facts.specialProgramme == Self.youthWork { entry.youthWork += 1 }
            if facts.rating == 1 { entry.excellent += 1 }
            structure[facts.serviceUnit] = entry
        }
    }

    /// Every (unit, programme) row, the nation first, then by unit code and programme.
    public var statistics: [PlacementStatistics] {
        rows.values.sorted { ($0.unit, $0.programme) < ($1.unit, $1.programme) }
    }

    /// The four structure rules for every service unit with serving placements.
    public var checks: [ProgrammeCheck] {
        structure.keys.sorted().flatMap { unit -> [ProgrammeCheck] in
            let entry = structure[unit]!
            return [
                ProgrammeCheck(
                    unit: unit, rule: "township_or_below_posts", count: entry.township, serving: entry.serving,
                    thresholdPerMille: 900, atLeast: true),
                ProgrammeCheck(
                    unit: unit, rule: "rural_education", count: entry.ruralEducation, serving: entry.serving,
                    thresholdPerMille: 250, atLeast: true),
                ProgrammeCheck(
                    unit: unit, rule: "youth_work", count: entry.youthWork, serving: entry.serving,
                    thresholdPerMille: 100, atLeast: false),
                ProgrammeCheck(
                    unit: unit, rule: "excellent_ratings", count: entry.excellent, serving: entry.serving,
                    thresholdPerMille: 200, atLeast: false),
            ]
        }
    }

    /// Ended and stayed-local placements of some special programmes together, nationally.
    public func retention(programmes: [String]) -> (stayed: Int64, ended: Int64) {
        var total: (Int64, Int64) = (0, 0)
        for name in programmes {
            guard let index = CodeTables.specialProgramme.firstIndex(of: name),
                let row = rows[Int64(RegionTable.national) << 8 | Int64(index + 1)]
            else { continue }
            total.0 += row.stayedLocal
            total.1 += row.ended
        }
        return total
    }
}
