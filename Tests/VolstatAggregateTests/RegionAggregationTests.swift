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
        store.add(record(0, 250, "2022-02-01"), period: period)
        store.add(record(0, 100, "2021-12-31"), period: period)
        store.add(record(2, 300, "2022-05-01"), period: period)
        store.add(record(1, 400, "2022-05-01", verified: false), period: period)
        store.add(record(4, 50, "2022-05-01"), period: period)
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
