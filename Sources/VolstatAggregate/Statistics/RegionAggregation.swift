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
        let yearStart = asOf.startOfYear.daysSinceEpoch
        let end = asOf.daysSinceEpoch
        let elderlyBornBy = Self.latestBirthDay(ofAge: 60, on: asOf)
        var groups = [RegionStatistics(code: RegionTable.national, level: .national)]
        var groupOf: [RegionCode: Int] = [RegionTable.national: 0]
        // Each distinct region code of a registration is a leaf with its own counts and the groups
        // it rolls up to (nation first), found in a flat table by code so that a registration
        // costs no hashing. The registrations of persons with only one registration are counted
        // in their leaf once and added to the leaf's groups at the end; only persons with several
        // registrations are counted group by group, to count them once per group.
        struct Leaf {
            var counts: RegionStatistics
            /// The indexes in `groups` of the regions it rolls up to.
            let groups: [Int]
        }
        var leafOfCode = [Int32](repeating: -1, count: 1_000_000)
        var leaves: [Leaf] = []
        var seenRegistered = Set<UInt64>()
        var seenNew = Set<UInt64>()
        var seenActive = Set<UInt64>()
        var isParty = [Bool](repeating: false, count: 256)
        for status in partyStatuses where status < 14 { isParty[Int(status)] = true }

        for index in 0..<store.registrationCount {
            let person = Int(store.personOfRegistration[index])
            let region = store.region[index]
            let inTable = region >= 0 && region < 1_000_000
            var leaf = inTable ? Int(leafOfCode[Int(region)]) : -1
            if leaf < 0 {
                leaf = leaves.count
                let rollUp = RegionTable.rollUp(region).map { code in
                    if let known = groupOf[code] { return known }
                    groupOf[code] = groups.count
                    groups.append(RegionStatistics(code: code, level: RegionTable.level(of: code)))
                    return groups.count - 1
                }
                leaves.append(
                    Leaf(counts: RegionStatistics(code: region, level: RegionTable.level(of: region)), groups: rollUp))
                if inTable { leafOfCode[Int(region)] = Int32(leaf) }
            }
            let counted = store.isCounted(index, through: end)
            let isNew = counted && store.registeredAt[index] >= yearStart
            let active = store.active[index]
            leaves[leaf].counts.totalHours.hundredths += store.hours[index]
            guard store.hasSeveralRegistrations(person) else {
                if counted { leaves[leaf].counts.countRegistered(person: person, of: store, isParty, elderlyBornBy) }
                if isNew { leaves[leaf].counts.newRegistrations += 1 }
                if active { leaves[leaf].counts.active += 1 }
                continue
            }
            for group in leaves[leaf].groups {
                let key = UInt64(UInt32(group)) << 32 | UInt64(UInt32(person))
                if counted && seenRegistered.insert(key).inserted {
                    groups[group].countRegistered(person: person, of: store, isParty, elderlyBornBy)
                }
                if isNew && seenNew.insert(key).inserted { groups[group].newRegistrations += 1 }
                if active && seenActive.insert(key).inserted { groups[group].active += 1 }
            }
        }
        for leaf in leaves {
            for group in leaf.groups { groups[group].addCounts(of: leaf.counts) }
        }
        for index in groups.indices { groups[index].population = population[groups[index].code] }
        return groups.sorted { $0.code < $1.code }
    }

    /// The last birth day (days since 1970) of a person who is at least `years` old on `day`: the
    /// same month and day `years` earlier, or February 28 when that year has no February 29.
    static func latestBirthDay(ofAge years: Int, on day: CivilDate) -> Int32 {
        day.sameDay(yearsEarlier: years)?.daysSinceEpoch ?? Int32.min
    }
}

extension RegionStatistics {
    /// Counts one more registered person, with the attributes the store keeps for them.
    @inline(__always)
    fileprivate mutating func countRegistered(
        person: Int, of store: RegistrationStore, _ isParty: [Bool], _ elderlyBornBy: Int32
    ) {
        let status = store.politicalStatus[person]
        let born = store.birthDate[person]
        let household = store.household[person]
        let education = store.education[person]
        registered += 1
        if status == 0 {
            politicalStatusUnknown += 1
        } else if isParty[Int(status)] {
            partyMembers += 1
        }
        elderly.count(known: born != Int32.min, member: born <= elderlyBornBy)
        rural.count(known: household != 0, member: household == 1)
        bachelorOrAbove.count(known: education != 0, member: education == 10 || education == 20)
        leagueMembers.count(known: status != 0, member: status == 3)
    }
}
