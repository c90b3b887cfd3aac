public import VolstatCore

/// Retention of volunteers, nationally: by registration cohort (of the persons registered in year
/// Y, the share active in each later year) and period over period (of the persons active in year
/// t - 1, the share active again in t). Persons are those counted as registered on as_of; a
/// person's cohort is the year of their earliest counted registration, and a person is active in
/// a year with at least one verified record started in it.
public struct RetentionRow: Sendable, Equatable {
    /// `cohort` or `period`.
    public var kind: String
    /// The registration year of the cohort; nil for period-over-period rows.
    public var cohortYear: Int?
    public var year: Int
    /// Cohort size, or the persons active in the previous year.
    public var base: Int64
    /// Of `base`, the persons active in `year`.
    public var retained: Int64
}

public enum Retention {
    public static func rows(_ store: RegistrationStore, asOf: CivilDate, firstYear: Int? = nil) -> [RetentionRow] {
        let end = asOf.daysSinceEpoch
        var cohort = [Int32](repeating: Int32.max, count: store.personCount)
        var years = [UInt64](repeating: 0, count: store.personCount)
        for index in 0..<store.registrationCount {
            let person = Int(store.personOfRegistration[index])
            years[person] |= store.activeYears[index]
            let day = store.registeredAt[index]
            if day <= end && !store.deregistered[index] { cohort[person] = min(cohort[person], day) }
        }
        let lastYear = asOf.year
        var cohortSizes: [Int: Int64] = [:]
        var cohortActive: [Int: [Int: Int64]] = [:]
        var activeIn: [Int: Int64] = [:]
        var activeAgain: [Int: Int64] = [:]
        for person in 0..<store.personCount where cohort[person] != Int32.max {
            let registered = CivilDate(daysSinceEpoch: cohort[person]).year
            cohortSizes[registered, default: 0] += 1
            for year in registered...lastYear {
                let bit = year - RegistrationStore.firstYear
                guard (0..<64).contains(bit), years[person] & (1 << UInt64(bit)) != 0 else { continue }
                cohortActive[registered, default: [:]][year, default: 0] += 1
            }
            for year in RegistrationStore.firstYear...lastYear {
                let bit = UInt64(year - RegistrationStore.firstYear)
                guard years[person] & (1 << bit) != 0 else { continue }
                activeIn[year, default: 0] += 1
                if year < lastYear, bit < 63, years[person] & (1 << (bit + 1)) != 0 {
                    activeAgain[year + 1, default: 0] += 1
                }
            }
        }
        let start = firstYear ?? cohortSizes.keys.min() ?? lastYear
        var rows: [RetentionRow] = []
        for registered in cohortSizes.keys.sorted() where registered >= start {
            for year in registered...lastYear {
                rows.append(
                    RetentionRow(
                        kind: "cohort", cohortYear: registered, year: year, base: cohortSizes[registered]!,
                        retained: cohortActive[registered]?[year] ?? 0))
            }
        }
        if start < lastYear {
            for year in (start + 1)...lastYear where (activeIn[year - 1] ?? 0) > 0 {
                rows.append(
                    RetentionRow(
                        kind: "period", cohortYear: nil, year: year, base: activeIn[year - 1]!,
                        retained: activeAgain[year] ?? 0))
            }
        }
        return rows
    }
}
