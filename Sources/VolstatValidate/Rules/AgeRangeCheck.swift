import VolstatCore

/// Whether a person born on one day is of an age within `range` on another, by two comparisons
/// of day numbers: the bounds on the birth day are computed once per registration day and kept in
/// a small table (the registrations of a file fall on a few thousand distinct days). The same
/// answer as computing the age in whole years, without splitting two dates into year, month and
/// day per row.
final class AgeRangeCheck {
    let range: ClosedRange<Int>
    private static let slots = 4096
    /// Per slot: the day whose bounds it holds; initially a day that cannot map to the slot.
    private let days: UnsafeMutablePointer<Int32>
    /// Born on or before this day: at least `range.lowerBound` years old.
    private let latestBirth: UnsafeMutablePointer<Int32>
    /// Born after this day: at most `range.upperBound` years old.
    private let earliestExcluded: UnsafeMutablePointer<Int32>

    init(_ range: ClosedRange<Int>) {
        self.range = range
        days = .allocate(capacity: Self.slots)
        latestBirth = .allocate(capacity: Self.slots)
        earliestExcluded = .allocate(capacity: Self.slots)
        for slot in 0..<Self.slots {
            days[slot] = Int32(slot + 1)
            latestBirth[slot] = 0
            earliestExcluded[slot] = 0
        }
    }

    deinit {
        days.deallocate()
        latestBirth.deallocate()
        earliestExcluded.deallocate()
    }

    /// Whether someone born on `born` is of an age within `range` on `day`.
    func contains(born: CivilDate, on day: CivilDate) -> Bool {
        let key = day.daysSinceEpoch
        let slot = Int(UInt32(bitPattern: key) & UInt32(Self.slots - 1))
        if days[slot] != key {
            guard range.upperBound < 10_000, let youngest = day.sameDay(yearsEarlier: range.lowerBound),
                let oldest = day.sameDay(yearsEarlier: range.upperBound + 1)
            else {
                return range.contains(Self.age(born: born, on: day))
            }
            days[slot] = key
            latestBirth[slot] = youngest.daysSinceEpoch
            earliestExcluded[slot] = oldest.daysSinceEpoch
        }
        return born.daysSinceEpoch <= latestBirth[slot] && born.daysSinceEpoch > earliestExcluded[slot]
    }

    /// Whole years between a birth date and a day.
    static func age(born: CivilDate, on day: CivilDate) -> Int {
        let (by, bm, bd) = born.components
        let (y, m, d) = day.components
        return y - by - ((m, d) < (bm, bd) ? 1 : 0)
    }
}
