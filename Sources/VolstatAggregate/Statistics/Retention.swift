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
        let lastYear = asOf.year
        // A person's cohort day (earliest counted registration) and active years: read straight
        // from the registration for the persons with one, gathered for the few with several, so
        // that no array per person is allocated.
        var several: [Int32: (cohort: Int32, years: UInt64)] = [:]
        var earliest = Int32.max
        /// The day a registration counts from as a cohort day: its date when counted, else never.
        func cohortDay(_ registration: Int) -> Int32 {
            let entry = store.registrations[registration]
            return entry.isCounted(through: end) ? entry.registeredAt : Int32.max
        }
        func merge(_ entry: inout (cohort: Int32, years: UInt64), _ registration: Int) {
            entry.cohort = min(entry.cohort, cohortDay(registration))
            entry.years |= store.registrations[registration].activeYears
        }
        for index in 0..<store.registrationCount {
            earliest = min(earliest, cohortDay(index))
            let person = store.registrations[index].person
            guard store.hasSeveralRegistrations(Int(person)) else { continue }
            merge(&several[person, default: (Int32.max, 0)], index)
        }
        let minYear = min(
            lastYear, RegistrationStore.firstYear,
            earliest == Int32.max ? lastYear : CivilDate(daysSinceEpoch: earliest).year)
        let span = max(0, lastYear - minYear + 1)
        var sizes = [Int64](repeating: 0, count: span)
        var active = [Int64](repeating: 0, count: span * span)
        var activeInYear = [Int64](repeating: 0, count: span)
        var activeAgainInYear = [Int64](repeating: 0, count: span)
        // Year bits from firstYear up to lastYear.
        let bitsUpToLastYear: UInt64 =
            lastYear < RegistrationStore.firstYear
            ? 0
            : lastYear - RegistrationStore.firstYear >= 63
                ? ~0 : (1 << UInt64(lastYear - RegistrationStore.firstYear + 1)) - 1
        func count(cohort: Int32, years bits: UInt64) {
            guard cohort != Int32.max else { return }
            let registered = CivilDate(daysSinceEpoch: cohort).year
            guard registered <= lastYear else { return }
            sizes[registered - minYear] += 1
            var remaining = bits & bitsUpToLastYear
            while remaining != 0 {
                let bit = remaining.trailingZeroBitCount
                remaining &= remaining - 1
                let year = RegistrationStore.firstYear + bit
                if year >= registered { active[(registered - minYear) * span + (year - minYear)] += 1 }
                activeInYear[year - minYear] += 1
                if year < lastYear, bits & (1 << UInt64(bit + 1)) != 0 { activeAgainInYear[year + 1 - minYear] += 1 }
            }
        }
        for index in 0..<store.registrationCount
        where !store.hasSeveralRegistrations(Int(store.registrations[index].person)) {
            count(cohort: cohortDay(index), years: store.registrations[index].activeYears)
        }
        for entry in several.values { count(cohort: entry.cohort, years: entry.years) }
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
