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
        // Per distinct region code of a registration, the groups it rolls up to (nation first):
        // looked up in a flat table by code, so that a registration costs no hashing.
        var rollUpOfCode = [Int32](repeating: -1, count: 1_000_000)
        var rollUps: [[Int]] = []
        var seenRegistered = Set<UInt64>()
        var seenNew = Set<UInt64>()
        var seenActive = Set<UInt64>()
        var isParty = [Bool](repeating: false, count: 14)
        for status in partyStatuses where status < 14 { isParty[Int(status)] = true }

        for index in 0..<store.registrationCount {
            let person = Int(store.personOfRegistration[index])
            let shared = store.registrationsOfPerson[person] > 1
            let day = store.registeredAt[index]
            let counted = day <= end && !store.deregistered[index]
            let isNew = counted && day >= yearStart
            let status = store.politicalStatus[person]
            let born = store.birthDate[person]
            let elderly = born != Int32.min && born <= elderlyBornBy
            let household = store.household[person]
            let education = store.education[person]
            let region = store.region[index]
            let inTable = region >= 0 && region < 1_000_000
            var rollUp = inTable ? Int(rollUpOfCode[Int(region)]) : -1
            if rollUp < 0 {
                rollUp = rollUps.count
                rollUps.append(
                    RegionTable.rollUp(region).map { code in
                        if let known = groupOf[code] { return known }
                        groupOf[code] = groups.count
                        groups.append(RegionStatistics(code: code, level: RegionTable.level(of: code)))
                        return groups.count - 1
                    })
                if inTable { rollUpOfCode[Int(region)] = Int32(rollUp) }
            }
            for group in rollUps[rollUp] {
                let key = UInt64(UInt32(group)) << 32 | UInt64(UInt32(person))
                if counted && (!shared || seenRegistered.insert(key).inserted) {
                    groups[group].registered += 1
                    if status == 0 {
                        groups[group].politicalStatusUnknown += 1
                    } else if isParty[Int(status)] {
                        groups[group].partyMembers += 1
                    }
                    groups[group].elderly.count(known: born != Int32.min, member: elderly)
                    groups[group].rural.count(known: household != 0, member: household == 1)
                    groups[group].bachelorOrAbove.count(
                        known: education != 0, member: education == 10 || education == 20)
                    groups[group].leagueMembers.count(known: status != 0, member: status == 3)
                }
                if isNew && (!shared || seenNew.insert(key).inserted) { groups[group].newRegistrations += 1 }
                groups[group].totalHours.hundredths += store.hours[index]
                if store.active[index] && (!shared || seenActive.insert(key).inserted) { groups[group].active += 1 }
            }
        }
        for index in groups.indices { groups[index].population = population[groups[index].code] }
        return groups.sorted { $0.code < $1.code }
    }

    /// The last birth day (days since 1970) of a person who is at least `years` old on `day`: the
    /// same month and day `years` earlier, or February 28 when that year has no February 29.
    static func latestBirthDay(ofAge years: Int, on day: CivilDate) -> Int32 {
        let (y, m, d) = day.components
        guard
            let date = CivilDate(year: y - years, month: m, day: d) ?? CivilDate(year: y - years, month: m, day: d - 1)
        else { return Int32.min }
        return date.daysSinceEpoch
    }
}
