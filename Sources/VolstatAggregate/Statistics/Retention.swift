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
        // Counts by year in flat arrays (years from the earliest cohort to as_of), not dictionaries:
        // this loop runs once per person.
        var cohortYear = [Int32](repeating: 0, count: store.personCount)
        var minYear = lastYear
        for person in 0..<store.personCount where cohort[person] != Int32.max {
            let year = CivilDate(daysSinceEpoch: cohort[person]).year
            cohortYear[person] = Int32(year)
            minYear = min(minYear, year)
        }
        minYear = min(minYear, RegistrationStore.firstYear)
        let span = max(0, lastYear - minYear + 1)
        var sizes = [Int64](repeating: 0, count: span)
        var active = [Int64](repeating: 0, count: span * span)
        var activeInYear = [Int64](repeating: 0, count: span)
        var activeAgainInYear = [Int64](repeating: 0, count: span)
        for person in 0..<store.personCount where cohort[person] != Int32.max {
            let registered = Int(cohortYear[person])
            guard registered <= lastYear else { continue }
            sizes[registered - minYear] += 1
            let bits = years[person]
            guard bits != 0 else { continue }
            for year in max(registered, RegistrationStore.firstYear)...max(lastYear, RegistrationStore.firstYear)
            where year <= lastYear {
                let bit = year - RegistrationStore.firstYear
                guard bit < 64, bits & (1 << UInt64(bit)) != 0 else { continue }
                active[(registered - minYear) * span + (year - minYear)] += 1
            }
            for year in RegistrationStore.firstYear...max(lastYear, RegistrationStore.firstYear) where year <= lastYear
            {
                let bit = UInt64(year - RegistrationStore.firstYear)
                guard bit < 64, bits & (1 << bit) != 0 else { continue }
                activeInYear[year - minYear] += 1
                if year < lastYear, bit < 63, bits & (1 << (bit + 1)) != 0 {
                    activeAgainInYear[year + 1 - minYear] += 1
                }
            }
        }
        /// A count of `array` (indexed by year from `minYear`) for `year`; 0 outside the span.
        func count(_ array: [Int64], _ year: Int) -> Int64 {
            year >= minYear && year - minYear < span ? array[year - minYear] : 0
        }
        let start = firstYear ?? sizes.firstIndex { $0 > 0 }.map { minYear + $0 } ?? lastYear
        var rows: [RetentionRow] = []
        for offset in 0..<span where sizes[offset] > 0 && minYear + offset >= start {
            let registered = minYear + offset
            for year in registered...lastYear {
                rows.append(
                    RetentionRow(
                        kind: "cohort", cohortYear: registered, year: year, base: sizes[offset],
                        retained: active[offset * span + (year - minYear)]))
            }
        }
        if start < lastYear {
            for year in (start + 1)...lastYear where count(activeInYear, year - 1) > 0 {
                rows.append(
                    RetentionRow(
                        kind: "period", cohortYear: nil, year: year, base: count(activeInYear, year - 1),
                        retained: count(activeAgainInYear, year)))
            }
        }
        return rows
    }
}
