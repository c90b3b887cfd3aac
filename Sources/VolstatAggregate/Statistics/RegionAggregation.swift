public import VolstatCore

/// Rolls the registration store up to every region at every level (nation, province, city,
/// county), counting each person once per region.
public enum RegionAggregation {
    /// The statistics of every region that has at least one accepted registration, and of the
    /// nation, sorted by code (the nation, `000000`, first).
    ///
    /// - Parameters:
    ///   - asOf: the end of the period; the period starts on January 1 of its year.
    ///   - partyStatuses: the political status codes that count as party members (1 and 2 by default).
    public static func byRegion(
        _ store: RegistrationStore, asOf: CivilDate, partyStatuses: Set<UInt8> = [1, 2],
        population: [RegionCode: Int64] = [:]
    ) -> [RegionStatistics] {
        let rules = CountingRules(asOf: asOf, partyStatuses: partyStatuses)
        // Each distinct region code of a registration is a leaf with its own counts. The
        // registrations of persons with only one registration are counted in their leaf, the two
        // halves of the store side by side (on two cores, 33 ms became 20 ms at 1 million
        // volunteers); their leaves are merged and added to the groups they roll up to at the
        // end. Only persons with several registrations are counted group by group, to count them
        // once per group.
        let count = store.registrationCount
        let middle = count / 2
        guard
            var (leaves, second) = try? concurrently(
                { LeafCounts(store, 0..<middle, rules) }, { LeafCounts(store, middle..<count, rules) })
        else { preconditionFailure("counting leaves does not throw") }
        leaves.merge(second)
        second = LeafCounts()

        var groupCodes = [RegionTable.national]
        var groupOf: [RegionCode: Int] = [RegionTable.national: 0]
        let groupsOfLeaf = leaves.codes.map { leaf in
            RegionTable.rollUp(leaf).map { code in
                if let known = groupOf[code] { return known }
                groupOf[code] = groupCodes.count
                groupCodes.append(code)
                return groupCodes.count - 1
            }
        }
        var groupTallies = [Tally](repeating: Tally(), count: groupCodes.count)
        var seenRegistered = Set<UInt64>()
        var seenNew = Set<UInt64>()
        var seenActive = Set<UInt64>()
        for index in leaves.several {
            let registration = store.registrations[Int(index)]
            let person = Int(registration.person)
            let counted = registration.isCounted(through: rules.end)
            let isNew = counted && registration.registeredAt >= rules.yearStart
            let active = registration.active
            for group in groupsOfLeaf[leaves.leaf(of: registration.region)] {
                let key = UInt64(UInt32(group)) << 32 | UInt64(UInt32(person))
                if counted && seenRegistered.insert(key).inserted {
                    groupTallies[group].countRegistered(person: person, of: store, rules)
                }
                if isNew && seenNew.insert(key).inserted { groupTallies[group].newRegistrations += 1 }
                if active && seenActive.insert(key).inserted { groupTallies[group].active += 1 }
            }
        }
        for (leaf, tally) in leaves.tallies.enumerated() {
            for group in groupsOfLeaf[leaf] { groupTallies[group].add(tally) }
        }
        let groups = zip(groupCodes, groupTallies).map { code, tally in
            var statistics = tally.statistics(code: code)
            statistics.population = population[code]
            return statistics
        }
        return groups.sorted { $0.code < $1.code }
    }

    /// What decides how a registration counts: the period and the party statuses.
    struct CountingRules: Sendable {
        let yearStart: Int32
        let end: Int32
        let elderlyBornBy: Int32
        /// Per political status code, whether it counts as a party member.
        let isParty: [Bool]

        init(asOf: CivilDate, partyStatuses: Set<UInt8>) {
            yearStart = asOf.startOfYear.daysSinceEpoch
            end = asOf.daysSinceEpoch
            elderlyBornBy = RegionAggregation.latestBirthDay(ofAge: 60, on: asOf)
            var isParty = [Bool](repeating: false, count: 256)
            for status in partyStatuses where status < 14 { isParty[Int(status)] = true }
            self.isParty = isParty
        }
    }

    /// The counts of a region while they are counted: 64 bytes instead of the 150 of
    /// `RegionStatistics`, so that the leaves of 3,346 regions (214 KB) stay in the level-2
    /// cache; the count of a leaf was two thirds of the roll-up's time in memory stalls.
    /// 32 bits hold the persons of any region.
    struct Tally {
        var hours: Int64 = 0
        var registered: Int32 = 0
        var newRegistrations: Int32 = 0
        var active: Int32 = 0
        var partyMembers: Int32 = 0
        var politicalStatusUnknown: Int32 = 0
        var elderly: (members: Int32, known: Int32) = (0, 0)
        var rural: (members: Int32, known: Int32) = (0, 0)
        var bachelorOrAbove: (members: Int32, known: Int32) = (0, 0)
        var leagueMembers: (members: Int32, known: Int32) = (0, 0)

        /// The group counts, for the steps that treat them alike.
        private static let groups = [\Tally.elderly, \Tally.rural, \Tally.bachelorOrAbove, \Tally.leagueMembers]

        /// Counts one more registered person, with the attributes the store keeps for them.
        @inline(__always)
        mutating func countRegistered(person: Int, of store: RegistrationStore, _ rules: CountingRules) {
            let attributes = store.persons[person]
            let status = attributes.politicalStatus
            let born = attributes.birthDate
            let household = attributes.household
            let education = attributes.education
            registered += 1
            if status == 0 {
                politicalStatusUnknown += 1
            } else if rules.isParty[Int(status)] {
                partyMembers += 1
            }
            @inline(__always) func count(
                _ group: inout (members: Int32, known: Int32), _ known: Bool, _ member: Bool
            ) {
                if known {
                    group.known += 1
                    if member { group.members += 1 }
                }
            }
            count(&elderly, born != Int32.min, born <= rules.elderlyBornBy)
            count(&rural, household != 0, household == 1)
            count(&bachelorOrAbove, education != 0, education == 10 || education == 20)
            count(&leagueMembers, status != 0, status == 3)
        }

        /// Adds the counts of `other` (of other registrations) to these.
        mutating func add(_ other: Tally) {
            hours += other.hours
            registered += other.registered
            newRegistrations += other.newRegistrations
            active += other.active
            partyMembers += other.partyMembers
            politicalStatusUnknown += other.politicalStatusUnknown
            for path in Self.groups {
                self[keyPath: path].members += other[keyPath: path].members
                self[keyPath: path].known += other[keyPath: path].known
            }
        }

        /// These counts as the statistics of region `code`.
        func statistics(code: RegionCode) -> RegionStatistics {
            var counts = RegionStatistics(code: code, level: RegionTable.level(of: code))
            counts.registered = Int64(registered)
            counts.newRegistrations = Int64(newRegistrations)
            counts.active = Int64(active)
            counts.partyMembers = Int64(partyMembers)
            counts.politicalStatusUnknown = Int64(politicalStatusUnknown)
            counts.totalHours.hundredths = hours
            func group(_ path: KeyPath<Tally, (members: Int32, known: Int32)>) -> GroupCount {
                GroupCount(members: Int64(self[keyPath: path].members), known: Int64(self[keyPath: path].known))
            }
            counts.elderly = group(\.elderly)
            counts.rural = group(\.rural)
            counts.bachelorOrAbove = group(\.bachelorOrAbove)
            counts.leagueMembers = group(\.leagueMembers)
            return counts
        }
    }

    /// The counts per leaf region of a range of registrations: hours of every registration, and
    /// the rest of those of persons with one registration; the registrations of persons with
    /// several are listed in `several` instead.
    struct LeafCounts: Sendable {
        /// Per 6-digit code, its leaf plus one (0: none yet), in memory of which only the pages
        /// of the codes seen are touched (filled with -1, it was 4 MB of new pages per thread at
        /// the end of every run); other codes are looked up in `otherLeaves`.
        private var leafOfCode: ZeroedArray<Int32>
        private var otherLeaves: [RegionCode: Int] = [:]
        private(set) var codes: [RegionCode] = []
        private(set) var tallies: [Tally] = []
        private(set) var several: [Int32] = []

        init() { leafOfCode = ZeroedArray(sparseCount: 1_000_000) }

        init(_ store: RegistrationStore, _ range: Range<Int>, _ rules: CountingRules) {
            leafOfCode = ZeroedArray(sparseCount: 1_000_000)
            for index in range {
                let registration = store.registrations[index]
                let person = Int(registration.person)
                let leaf = leaf(adding: registration.region)
                tallies[leaf].hours += registration.hours
                guard !store.hasSeveralRegistrations(person) else {
                    several.append(Int32(index))
                    continue
                }
                if registration.isCounted(through: rules.end) {
                    tallies[leaf].countRegistered(person: person, of: store, rules)
                    if registration.registeredAt >= rules.yearStart { tallies[leaf].newRegistrations += 1 }
                }
                if registration.active { tallies[leaf].active += 1 }
            }
        }

        /// The leaf of a code the counts have.
        func leaf(of code: RegionCode) -> Int {
            code >= 0 && code < 1_000_000 ? Int(leafOfCode[Int(code)]) - 1 : otherLeaves[code]!
        }

        /// The leaf of `code`, added when new.
        @inline(__always)
        private mutating func leaf(adding code: RegionCode) -> Int {
            if code >= 0 && code < 1_000_000, case let leaf = leafOfCode[Int(code)], leaf > 0 { return Int(leaf) - 1 }
            return newLeaf(code)
        }

        @inline(never)
        private mutating func newLeaf(_ code: RegionCode) -> Int {
            let inTable = code >= 0 && code < 1_000_000
            if !inTable, let leaf = otherLeaves[code] { return leaf }
            let leaf = codes.count
            codes.append(code)
            tallies.append(Tally())
            if inTable { leafOfCode[Int(code)] = Int32(leaf + 1) } else { otherLeaves[code] = leaf }
            return leaf
        }

        /// Adds the counts of `other` (of other registrations) to these.
        mutating func merge(_ other: LeafCounts) {
            for (code, tally) in zip(other.codes, other.tallies) { tallies[leaf(adding: code)].add(tally) }
            several += other.several
        }
    }

    /// The last birth day (days since 1970) of a person who is at least `years` old on `day`: the
    /// same month and day `years` earlier, or February 28 when that year has no February 29.
    static func latestBirthDay(ofAge years: Int, on day: CivilDate) -> Int32 {
        day.sameDay(yearsEarlier: years)?.daysSinceEpoch ?? Int32.min
    }
}
