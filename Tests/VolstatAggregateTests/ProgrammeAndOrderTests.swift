import Testing
import VolstatAggregate
import VolstatCore

@Suite("Western programme and orders")
struct ProgrammeAndOrderTests {
    let asOf = CivilDate("2022-12-31")!

    func placement(
        unit: RegionCode, stage: UInt8, programme: String? = nil, post: UInt8 = 1, ended: String? = nil,
        outcome: UInt8 = 0, degree: UInt8 = 20, political: UInt8 = 13, rating: UInt8 = 2
    ) -> PlacementFacts {
        PlacementFacts(
            serviceUnit: unit, stage: stage,
            specialProgramme: programme.map { UInt8(CodeTables.specialProgramme.firstIndex(of: $0)! + 1) } ?? 0,
            postLevel: post, endDate: ended.flatMap(CivilDate.init), outcome: outcome, degree: degree,
            politicalStatus: political, rating: rating)
    }

    @Test("applicants, admitted, party shares, retention by unit and programme")
    func placements() throws {
        var accumulator = PlacementAccumulator(asOf: asOf)
        accumulator.add(placement(unit: 650000, stage: 1, political: 1))
        accumulator.add(placement(unit: 650000, stage: 2, degree: 30, political: 1))
        accumulator.add(placement(unit: 650000, stage: 4, programme: "serve_xinjiang", ended: "2022-07-31", outcome: 1))
        accumulator.add(placement(unit: 650000, stage: 4, programme: "serve_xinjiang", ended: "2023-07-31", outcome: 1))
        accumulator.add(placement(unit: 660000, stage: 4, ended: "2022-07-31", outcome: 2, political: 0))
        let rows = accumulator.statistics
        #expect(rows.map(\.unit) == [0, 0, 650000, 650000, 660000])
        let nation = try #require(rows.first)
        #expect(nation.applicants == 5)
        #expect(nation.admitted == 4)
        #expect(nation.partyApplicants == GroupCount(members: 2, known: 4))
        #expect(nation.partyAdmitted == GroupCount(members: 1, known: 3))
        #expect(nation.bachelorOrAboveAdmitted == GroupCount(members: 3, known: 4))
        #expect(nation.ended == 2)
        #expect(nation.stayedLocal == 1)
        #expect(accumulator.retention(programmes: ["serve_xinjiang", "serve_tibet"]) == (1, 1))
        #expect(rows[1].programmeName == "serve_xinjiang")
    }

    @Test("structure rules are measured exactly over serving placements")
    func checks() {
        var accumulator = PlacementAccumulator(asOf: asOf)
        for index in 0..<10 {
            accumulator.add(
                placement(
                    unit: 620000, stage: 3,
                    programme: index < 3 ? "rural_education" : (index == 3 ? "youth_work" : nil),
                    post: index == 9 ? 2 : 1, rating: index < 2 ? 1 : 2))
        }
        let checks = accumulator.checks
        #expect(
            checks.map(\.rule) == ["township_or_below_posts", "rural_education", "youth_work", "excellent_ratings"])
        #expect(checks.map(\.count) == [9, 3, 1, 2])
        #expect(checks.map(\.passed) == [true, true, true, true])
        accumulator.add(placement(unit: 620000, stage: 3, post: 2))
        #expect(accumulator.checks.map(\.passed) == [false, true, true, true])
    }

    @Test("orders within one hour, closed loop, by region, in the period only")
    func orders() {
        var accumulator = OrderAccumulator(period: asOf.startOfYear...asOf)
        let requested = Timestamp("2022-05-01 08:00:00")!
        func at(_ text: String) -> Timestamp? { Timestamp(text) }
        accumulator.add(
            OrderFacts(
                region: 320102, requestedAt: requested, reviewedAt: at("2022-05-01 09:00:00"),
                dispatchedAt: at("2022-05-01 09:10"), acceptedAt: at("2022-05-01 09:01"),
                completedAt: at("2022-05-01 12:00"), ratedAt: at("2022-05-02 08:00")))
        accumulator.add(
            OrderFacts(
                region: 320102, requestedAt: requested, reviewedAt: nil, dispatchedAt: nil, acceptedAt: nil,
                completedAt: nil, ratedAt: nil))
        accumulator.add(
            OrderFacts(
                region: nil, requestedAt: Timestamp("2023-01-01 08:00")!, reviewedAt: nil, dispatchedAt: nil,
                acceptedAt: nil, completedAt: nil, ratedAt: nil))
        let rows = accumulator.statistics
        #expect(rows.map(\.code) == [0, 320000, 320100, 320102])
        #expect(rows[0].orders == 2)
        #expect(rows[0].reviewedWithinOneHour == 1)
        #expect(rows[0].answeredWithinOneHour == 0)
        #expect(rows[0].closedLoop == 1)
        #expect(rows[0].completed == 1)
    }
}
