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
        pending.add(record(0, 250, "2022-02-01"), period: period, store: &store)
        pending.add(record(0, 100, "2021-12-31"), period: period, store: &store)
        pending.add(record(2, 300, "2022-05-01"), period: period, store: &store)
        pending.add(record(1, 400, "2022-05-01", verified: false), period: period, store: &store)
        pending.add(record(4, 50, "2022-05-01"), period: period, store: &store)
        pending.add(record(5, 50, "2023-01-01"), period: period, store: &store)
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
            pending.add(record(Int32(registration), 100, date), period: period, store: &store)
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

    @Test(
        "records add up the same past the prefetch window, written through for the first file and held back after it; a discarded file adds nothing either way"
    )
    func manyRecords() {
        var store = RegistrationStore()
        for registration in 0..<50 {
            store.add(facts(Int32(registration), person: UInt64(registration + 1), region: 360102, date: "2020-01-01"))
        }
        let period = asOf.startOfYear...asOf
        var pending = PendingServiceRecords()
        let firstYear = RegistrationStore.firstYear
        let bits = UInt64(1) << UInt64(2021 - firstYear) | UInt64(1) << UInt64(2022 - firstYear)
        // A first file that fails part-way: written through, then cleared.
        for index in 0..<40 {
            pending.add(record(Int32(index % 50), 5_000, "2022-07-01"), period: period, store: &store)
        }
        #expect(store.registrations.contains { $0.hours > 0 }, "written straight into the registrations")
        pending.discard(from: &store)
        #expect(!store.hasCommittedServiceRecords)
        #expect(store.registrations.allSatisfy { $0.hours == 0 && !$0.active && $0.activeYears == 0 })
        // A file with no record that counts (none verified) leaves the next one the first.
        pending.add(record(3, 100, "2022-06-01", verified: false), period: period, store: &store)
        pending.commit(into: &store, period: period)
        #expect(!store.hasCommittedServiceRecords)
        // The next file is again the first to count: 750 of its 1,000 records are in 2022, 15 per
        // registration, 1 hour each.
        for index in 0..<1_000 {
            pending.add(
                record(Int32(index % 50), 100, (index / 50) % 4 == 0 ? "2021-06-01" : "2022-06-01"), period: period,
                store: &store)
        }
        #expect(store.registrations.contains { $0.hours > 0 }, "written straight into the registrations")
        pending.commit(into: &store, period: period)
        #expect(store.hasCommittedServiceRecords)
        #expect(store.registrations.allSatisfy { $0.hours == 1_500 && $0.active && $0.activeYears == bits })
        // A file after it is held back: when it fails, the store keeps the first file's records.
        for index in 0..<40 {
            pending.add(record(Int32(index % 50), 5_000, "2022-07-01"), period: period, store: &store)
        }
        #expect(store.registrations.allSatisfy { $0.hours == 1_500 }, "held back, not in the store yet")
        pending.discard(from: &store)
        #expect(store.registrations.allSatisfy { $0.hours == 1_500 && $0.activeYears == bits })
        // When it is read to its end, its records are added: 2 hours more each, and 2020 active.
        for index in 0..<100 {
            pending.add(record(Int32(index % 50), 100, "2022-08-01"), period: period, store: &store)
        }
        pending.add(record(7, 100, "2020-03-01"), period: period, store: &store)
        #expect(store.registrations.allSatisfy { $0.hours == 1_500 }, "held back, not in the store yet")
        pending.commit(into: &store, period: period)
        #expect(store.registrations.allSatisfy { $0.hours == 1_700 && $0.active })
        #expect(store.registrations[7].activeYears == bits | 1 << UInt64(2020 - firstYear))
        #expect(store.registrations.indices.filter { store.registrations[$0].activeYears != bits } == [7])
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
        #expect(store.persons.map(\.registrations) == [1])
    }

    /// A store of `registrations` random registrations of about a third as many persons (so that
    /// many persons have several, in different regions and at different levels), with records.
    static func randomStore(registrations: Int, seed: UInt64, asOf: CivilDate) -> RegistrationStore {
        var state = seed
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let regions: [RegionCode] = [360102, 360103, 360100, 360000, 110101, 110105, 441900, 999999, -1]
        var store = RegistrationStore()
        var persons = 0
        for registration in 0..<registrations {
            let person = persons == 0 || next(3) == 0 ? persons : next(persons)
            if person == persons { persons += 1 }
            store.add(
                VolunteerFacts(
                    registration: Int32(registration), person: Int32(person), region: regions[next(regions.count)],
                    registeredAt: CivilDate(daysSinceEpoch: asOf.daysSinceEpoch - Int32(next(9_000)) + 200),
                    deregistered: next(10) == 0, politicalStatus: UInt8(next(14)),
                    birthDate: next(5) == 0 ? nil : CivilDate(daysSinceEpoch: Int32(next(30_000)) - 15_000),
                    gender: 0, education: UInt8([0, 10, 20, 30][next(4)]), household: UInt8(next(3))))
        }
        let period = asOf.startOfYear...asOf
        var pending = PendingServiceRecords()
        for _ in 0..<(registrations * 2) {
            pending.add(
                ServiceFacts(
                    registration: Int32(next(registrations)),
                    startedAt: CivilDate(daysSinceEpoch: asOf.daysSinceEpoch - Int32(next(3_000)) + 30),
                    hours: Hours(hundredths: Int64(next(1_000))), verified: next(4) != 0, serviceRegion: nil),
                period: period, store: &store)
        }
        pending.commit(into: &store, period: period)
        return store
    }

    @Test("the roll-up equals a count of distinct persons per region, on random stores with shared persons")
    func rollUpAgainstSets() throws {
        for seed in UInt64(1)...4 {
            let store = Self.randomStore(registrations: 600, seed: seed, asOf: asOf)
            let rows = RegionAggregation.byRegion(store, asOf: asOf)
            // The definition, one set of persons per region and count.
            let end = asOf.daysSinceEpoch
            let yearStart = asOf.startOfYear.daysSinceEpoch
            let elderlyBy = CivilDate(year: asOf.year - 60, month: 12, day: 31)!.daysSinceEpoch
            var registered: [RegionCode: Set<Int32>] = [:]
            var new: [RegionCode: Set<Int32>] = [:]
            var active: [RegionCode: Set<Int32>] = [:]
            var hours: [RegionCode: Int64] = [:]
            for index in 0..<store.registrationCount {
                let person = store.registrations[index].person
                let day = store.registrations[index].registeredAt
                let counted = day <= end && !store.registrations[index].deregistered
                for code in RegionTable.rollUp(store.registrations[index].region) {
                    hours[code, default: 0] += store.registrations[index].hours
                    if counted { registered[code, default: []].insert(person) }
                    if counted && day >= yearStart { new[code, default: []].insert(person) }
                    if store.registrations[index].active { active[code, default: []].insert(person) }
                }
            }
            #expect(Set(rows.map(\.code)) == Set(hours.keys))
            for row in rows {
                let persons = registered[row.code] ?? []
                let status = persons.map { store.persons[Int($0)].politicalStatus }
                let born = persons.map { store.persons[Int($0)].birthDate }.filter { $0 != Int32.min }
                let education = persons.map { store.persons[Int($0)].education }.filter { $0 != 0 }
                let household = persons.map { store.persons[Int($0)].household }.filter { $0 != 0 }
                #expect(row.registered == Int64(persons.count), "\(row.code)")
                #expect(row.newRegistrations == Int64(new[row.code]?.count ?? 0))
                #expect(row.active == Int64(active[row.code]?.count ?? 0))
                #expect(row.totalHours.hundredths == hours[row.code])
                #expect(row.partyMembers == Int64(status.filter { $0 == 1 || $0 == 2 }.count))
                #expect(row.politicalStatusUnknown == Int64(status.filter { $0 == 0 }.count))
                #expect(
                    row.leagueMembers
                        == GroupCount(
                            members: Int64(status.filter { $0 == 3 }.count),
                            known: Int64(status.filter { $0 != 0 }.count)))
                #expect(
                    row.elderly
                        == GroupCount(members: Int64(born.filter { $0 <= elderlyBy }.count), known: Int64(born.count)))
                #expect(
                    row.bachelorOrAbove
                        == GroupCount(
                            members: Int64(education.filter { $0 == 10 || $0 == 20 }.count),
                            known: Int64(education.count)))
                #expect(
                    row.rural
                        == GroupCount(members: Int64(household.filter { $0 == 1 }.count), known: Int64(household.count))
                )
            }
        }
    }

    @Test("retention equals a count over each person's cohort and active years, on random stores with shared persons")
    func retentionAgainstPersons() {
        for seed in UInt64(1)...4 {
            let store = Self.randomStore(registrations: 600, seed: seed, asOf: asOf)
            let rows = Retention.rows(store, asOf: asOf)
            var cohort: [Int32: Int32] = [:]
            var years: [Int32: UInt64] = [:]
            for index in 0..<store.registrationCount {
                let person = store.registrations[index].person
                years[person, default: 0] |= store.registrations[index].activeYears
                let day = store.registrations[index].registeredAt
                if day <= asOf.daysSinceEpoch && !store.registrations[index].deregistered {
                    cohort[person] = min(cohort[person] ?? Int32.max, day)
                }
            }
            func activeIn(_ person: Int32, _ year: Int) -> Bool {
                year >= RegistrationStore.firstYear
                    && (years[person] ?? 0) & (1 << UInt64(year - RegistrationStore.firstYear)) != 0
            }
            let cohortRows = rows.filter { $0.kind == "cohort" }
            #expect(!cohortRows.isEmpty)
            for row in cohortRows {
                let members = cohort.filter { CivilDate(daysSinceEpoch: $0.value).year == row.cohortYear }.map(\.key)
                #expect(row.base == Int64(members.count))
                #expect(
                    row.retained == Int64(members.filter { activeIn($0, row.year) }.count),
                    "\(row.cohortYear!) \(row.year)")
            }
            for row in rows where row.kind == "period" {
                let before = cohort.keys.filter { activeIn($0, row.year - 1) }
                #expect(row.base == Int64(before.count))
                #expect(row.retained == Int64(before.filter { activeIn($0, row.year) }.count))
            }
        }
    }
}
