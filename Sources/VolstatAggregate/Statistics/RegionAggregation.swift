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
        var groupOf: [RegionCode: Int] = [RegionTable.national: 0]
        var groups = [RegionStatistics(code: RegionTable.national, level: .national)]
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
            let elderly = born != Int32.min && RegionAggregation.age(born: born, on: asOf) >= 60
            let household = store.household[person]
            let education = store.education[person]
            for code in RegionTable.rollUp(store.region[index]) {
                let group: Int
                if let known = groupOf[code] {
                    group = known
                } else {
                    group = groups.count
                    groupOf[code] = group
                    groups.append(RegionStatistics(code: code, level: RegionTable.level(of: code)))
                }
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

    /// Whole years of age on `day` of a person born on the day `born` (days since 1970).
    static func age(born: Int32, on day: CivilDate) -> Int {
        let (by, bm, bd) = CivilDate(daysSinceEpoch: born).components
        let (y, m, d) = day.components
        return y - by - ((m, d) < (bm, bd) ? 1 : 0)
    }
}
