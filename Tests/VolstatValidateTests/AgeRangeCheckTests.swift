import Testing
import VolstatCore

@testable import VolstatValidate

@Suite("age range check")
struct AgeRangeCheckTests {
    @Test(
        "the bounds kept per day give the same answer as the age in whole years, February 29 included",
        arguments: [14...100, 0...0, 60...60, 18...65])
    func sameAsAge(range: ClosedRange<Int>) {
        let check = AgeRangeCheck(range)
        var state: UInt64 = 0x1234_5678
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let leapDays = [CivilDate("2000-02-29")!, CivilDate("2024-02-29")!, CivilDate("1960-02-29")!]
        var inside = 0
        var mismatches = 0
        for round in 0..<200_000 {
            // Registration days from 1990 on; births up to 110 years before, some on February 29.
            let day = round % 10 == 0 ? leapDays[next(3)] : CivilDate(daysSinceEpoch: Int32(7_300 + next(14_000)))
            let born =
                round % 7 == 0
                ? CivilDate(year: day.year - range.lowerBound - next(3) + 1, month: 2, day: 28 + next(2))
                    ?? CivilDate(daysSinceEpoch: day.daysSinceEpoch - Int32(next(40_000)))
                : CivilDate(daysSinceEpoch: day.daysSinceEpoch - Int32(next(40_000)))
            let expected = range.contains(AgeRangeCheck.age(born: born, on: day))
            if check.contains(born: born, on: day) != expected { mismatches += 1 }
            if expected { inside += 1 }
        }
        #expect(mismatches == 0)
        #expect(inside > 0)
    }

    @Test("on a day a person turns the range's bounds, and the day before")
    func birthdays() {
        let check = AgeRangeCheck(14...100)
        let day = CivilDate("2022-06-15")!
        #expect(check.contains(born: CivilDate("2008-06-15")!, on: day))
        #expect(!check.contains(born: CivilDate("2008-06-16")!, on: day))
        #expect(check.contains(born: CivilDate("1921-06-16")!, on: day))
        #expect(!check.contains(born: CivilDate("1921-06-15")!, on: day))
        // Born on February 29: 14 on March 1 of a year without one, not yet on February 28.
        #expect(check.contains(born: CivilDate("2008-02-29")!, on: CivilDate("2022-03-01")!))
        #expect(!check.contains(born: CivilDate("2008-02-29")!, on: CivilDate("2022-02-28")!))
    }
}
