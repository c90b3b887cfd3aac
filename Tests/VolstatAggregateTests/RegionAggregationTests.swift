import Testing
import VolstatAggregate
import VolstatCore

@Suite("region aggregation")
struct RegionAggregationTests {
    let asOf = CivilDate("2022-12-31")!

    func facts(
        _ registration: Int32, person: UInt64, region: RegionCode, date: String, political: UInt8 = 13,
        deregistered: Bool = false
    )
        -> VolunteerFacts
    {
        VolunteerFacts(
            registration: registration, person: Int32(person - 1), region: region,
            registeredAt: CivilDate(date)!, deregistered: deregistered, politicalStatus: political, birthDate: nil,
            gender: 0, education: 0, household: 0)
    }

    func record(_ registration: Int32, _ hours: Int64, _ date: String, verified: Bool = true) -> ServiceFacts {
        ServiceFacts(
            registration: registration, startedAt: CivilDate(date)!, hours: Hours(hundredths: hours),
            verified: verified,
            serviceRegion: nil)
    }

    @Test("distinct persons per region, counted once nationally, hours and activity in the period only")
    func rollUp() throws {
        var store = RegistrationStore()
        store.add(facts(0, person: 1, region: 360102, date: "2021-05-01", political: 1))
        store.add(facts(1, person: 2, region: 360103, date: "2022-03-01", political: 2))
        store.add(facts(2, person: 1, region: 110101, date: "2022-04-01", political: 13))
        store.add(facts(3, person: 3, region: 360102, date: "2023-01-05"))
        store.add(facts(4, person: 4, region: 360102, date: "2020-01-05", political: 0, deregistered: true))
        store.add(facts(5, person: 5, region: 360100, date: "2022-06-01", political: 0))
        let period = asOf.startOfYear...asOf
        var pending = PendingServiceRecords()
        pending.add(record(0, 250, "2022-02-01"), period: period)
        pending.add(record(0, 100, "2021-12-31"), period: period)
        pending.add(record(2, 300, "2022-05-01"), period: period)
        pending.add(record(1, 400, "2022-05-01", verified: false), period: period)
        pending.add(record(4, 50, "2022-05-01"), period: period)
        pending.add(record(5, 50, "2023-01-01"), period: period)
        pending.commit(into: &store, period: period)
        let rows = RegionAggregation.byRegion(store, asOf: asOf, population: [360000: 40])
        let byCode = Dictionary(uniqueKeysWithValues: rows.map { ($0.code, $0) })
        #expect(rows.map(\.code) == [0, 110000, 110100, 110101, 360000, 360100, 360102, 360103])
        let nation = try #require(byCode[0])
        #expect(nation.registered == 3 + 0)  // persons 1, 2, 5 (3 is after as_of, 4 deregistered)
        #expect(nation.newRegistrations == 3)  // 2 and 5 in 2022, and 1 again in 2022 in Beijing
        #expect(nation.partyMembers == 2)  // person 1 (first row: 01) and person 2 (02)
        #expect(nation.politicalStatusUnknown == 1)
        #expect(nation.totalHours == Hours(hundredths: 600))
        #expect(nation.active == 2)  // person 1 (twice) and person 4
        let jiangxi = try #require(byCode[360000])
        #expect(jiangxi.registered == 3)
        #expect(jiangxi.population == 40)
        #expect(jiangxi.registeredShareOfPopulation! == (3, 40))
        #expect(byCode[360102]?.registered == 1)
        #expect(byCode[360100]?.registered == 3)  // persons 1 and 2 in its counties, person 5 at city level
        #expect(byCode[110000]?.partyMembers == 1)  // person 1 is a party member everywhere
    }

    @Test("retention by cohort and period over period")
    func retention() {
        var store = RegistrationStore()
        store.add(facts(0, person: 1, region: 360102, date: "2020-05-01"))
        store.add(facts(1, person: 2, region: 360102, date: "2020-07-01"))
        store.add(facts(2, person: 3, region: 360102, date: "2021-01-01"))
        store.add(facts(3, person: 4, region: 360102, date: "2021-03-01", deregistered: true))
        var pending = PendingServiceRecords()
        let period = asOf.startOfYear...asOf
        for (registration, date) in [
            (0, "2020-06-01"), (0, "2021-06-01"), (1, "2022-01-01"), (2, "2021-02-01"), (2, "2022-02-01"),
            (3, "2021-04-01"),
        ] {
            pending.add(record(Int32(registration), 100, date), period: period)
        }
        pending.commit(into: &store, period: period)
        let rows = Retention.rows(store, asOf: asOf)
        let cohort2020 = rows.filter { $0.kind == "cohort" && $0.cohortYear == 2020 }
        #expect(cohort2020.map(\.year) == [2020, 2021, 2022])
        #expect(cohort2020.map(\.base) == [2, 2, 2])
        #expect(cohort2020.map(\.retained) == [1, 1, 1])
        let period2022 = rows.first { $0.kind == "period" && $0.year == 2022 }
        // Active in 2021: persons 1 and 3 (4 is deregistered); active again in 2022: person 3.
        #expect(period2022?.base == 2)
        #expect(period2022?.retained == 1)
    }

    @Test("held-back records add up the same past the prefetch window, and a discarded file adds nothing")
    func manyRecords() {
        var store = RegistrationStore()
        for registration in 0..<50 {
            store.add(facts(Int32(registration), person: UInt64(registration + 1), region: 360102, date: "2020-01-01"))
        }
        let period = asOf.startOfYear...asOf
        var pending = PendingServiceRecords()
        for index in 0..<1_000 {
            pending.add(
                record(Int32(index % 50), 100, (index / 50) % 4 == 0 ? "2021-06-01" : "2022-06-01"), period: period)
        }
        var discarded = PendingServiceRecords()
        for index in 0..<40 { discarded.add(record(Int32(index % 50), 5_000, "2022-07-01"), period: period) }
        discarded.discard()
        discarded.commit(into: &store, period: period)
        pending.commit(into: &store, period: period)
        // 750 of the 1,000 records are in 2022: 15 per registration, 1 hour each.
        #expect(store.hours.allSatisfy { $0 == 1_500 })
        #expect(store.active.allSatisfy { $0 })
        let bits = UInt64(1) << UInt64(2021 - RegistrationStore.firstYear) | UInt64(1) << UInt64(2022 - 2000)
        #expect(store.activeYears.allSatisfy { $0 == bits })
    }

    @Test(
        "elderly: 60 or older on as_of, counting a February 29 birthday or as_of exactly",
        arguments: [
            ("2024-02-29", "1964-02-29", true), ("2024-02-29", "1964-03-01", false),
            ("2023-02-28", "1963-02-28", true), ("2023-02-28", "1963-03-01", false),
            ("2160-02-29", "2100-02-28", true), ("2160-02-29", "2100-03-01", false),
        ])
    func elderly(asOf: String, born: String, elderly: Bool) throws {
        var store = RegistrationStore()
        store.add(
            VolunteerFacts(
                registration: 0, person: 0, region: 360102, registeredAt: CivilDate("2000-01-01")!,
                deregistered: false, politicalStatus: 13, birthDate: CivilDate(born)!, gender: 0, education: 0,
                household: 0))
        let nation = try #require(RegionAggregation.byRegion(store, asOf: CivilDate(asOf)!).first)
        #expect(nation.elderly.known == 1)
        #expect(nation.elderly.members == (elderly ? 1 : 0))
    }

    @Test("a failed file's registrations are rolled back")
    func rollBack() {
        var store = RegistrationStore()
        store.add(facts(0, person: 1, region: 360102, date: "2021-05-01"))
        let checkpoint = store.checkpoint
        store.add(facts(1, person: 1, region: 360103, date: "2021-05-01"))
        store.add(facts(2, person: 2, region: 360103, date: "2021-05-01"))
        store.rollBack(to: checkpoint)
        #expect(store.registrationCount == 1)
        #expect(store.personCount == 1)
        #expect(store.registrationsOfPerson == [1])
    }
}
