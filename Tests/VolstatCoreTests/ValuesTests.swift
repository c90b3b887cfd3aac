import Testing

@testable import VolstatCore

@Suite("fixed-point hours")
struct HoursTests {
    @Test(
        "parses decimals exactly",
        arguments: [
            ("3", 300), ("3.5", 350), ("0.25", 25), (".75", 75), (" 8.00 ", 800), ("10.125", 1013),
            ("10.124", 1012), ("24", 2400),
        ] as [(String, Int64)])
    func parses(text: String, hundredths: Int64) {
        #expect(Hours(text)?.hundredths == hundredths)
    }

    @Test(
        "rejects what is not an unsigned decimal",
        arguments: ["", "-1", "1e3", "abc", "1.2.3", ".", "1,5", "1234567890"])
    func rejects(text: String) {
        #expect(Hours(text) == nil)
    }

    @Test("formats with two decimals")
    func formats() {
        #expect(Hours(hundredths: 123_450).formatted == "1234.50")
        #expect(Hours(hundredths: 5).formatted == "0.05")
    }
}

@Suite("dates and timestamps")
struct DateTests {
    @Test(
        "parses the forms of provincial exports",
        arguments: [
            "2022-07-06", "2022/7/6", "2022年7月6日", "2022-07-06T08:00:00", "2022-07-06 08:00", "2022/07/06 23:59:59",
        ])
    func parses(text: String) {
        #expect(CivilDate(text)?.description == "2022-07-06")
    }

    @Test(
        "rejects impossible or malformed dates",
        arguments: ["2022-02-29", "2022-13-01", "22-7-6", "2022.7.6", "2022-07-06x", "2022-07-06 25:00"])
    func rejects(text: String) {
        #expect(CivilDate(text) == nil)
    }

    @Test("leap days, the epoch and round trips")
    func calendar() {
        #expect(CivilDate(year: 2024, month: 2, day: 29) != nil)
        #expect(CivilDate(year: 1900, month: 2, day: 29) == nil)
        #expect(CivilDate(year: 1970, month: 1, day: 1)?.daysSinceEpoch == 0)
        for days in stride(from: -30_000, to: 30_000, by: 97) {
            let date = CivilDate(daysSinceEpoch: Int32(days))
            let (y, m, d) = date.components
            #expect(CivilDate(year: y, month: m, day: d) == date)
        }
    }

    @Test("the month table gives the arithmetic's day, or nil, for every year, month and day it covers and around it")
    func monthTable() {
        let years = (CivilDate.tableFirstYear - 2)...(CivilDate.tableFirstYear + CivilDate.tableYears + 1)
        var checked = 0
        for year in years {
            for month in 0...13 {
                for day in -1...33 {
                    let fromTable = CivilDate(year: year, month: month, day: day)
                    let computed = CivilDate(computing: year, month: month, day: day)
                    if fromTable != computed {
                        Issue.record(
                            "\(year)-\(month)-\(day): \(String(describing: fromTable)) against \(String(describing: computed))"
                        )
                    }
                    checked += computed == nil ? 0 : 1
                }
            }
        }
        #expect(checked == 111_033)
    }

    @Test(
        "the year, month and day from the month table equal the arithmetic's for every day the table covers and around it"
    )
    func yearFromTable() {
        let first = Int(CivilDate(computing: CivilDate.tableFirstYear - 3, month: 1, day: 1)!.daysSinceEpoch)
        let last = Int(
            CivilDate(computing: CivilDate.tableFirstYear + CivilDate.tableYears + 2, month: 12, day: 31)!
                .daysSinceEpoch)
        var mismatches = 0
        for days in first...last {
            let date = CivilDate(daysSinceEpoch: Int32(days))
            if date.year != date.computedComponents.year || date.components != date.computedComponents {
                mismatches += 1
            }
        }
        #expect(mismatches == 0)
        #expect(last - first + 1 == 111_033 + 2 * 365)
        #expect(CivilDate(daysSinceEpoch: -1).year == 1969)
        #expect(CivilDate(daysSinceEpoch: 0).year == 1970)
        #expect(
            CivilDate(daysSinceEpoch: Int32.min).components == CivilDate(daysSinceEpoch: Int32.min).computedComponents)
    }

    @Test("timestamps carry the time of day")
    func timestamps() throws {
        let start = try #require(Timestamp("2022-07-06 08:00:00"))
        let end = try #require(Timestamp("2022-07-06T11:30"))
        #expect(end.secondsSinceEpoch - start.secondsSinceEpoch == 12_600)
        #expect(start.date.description == "2022-07-06")
    }
}

@Suite("exact decimal formatting")
struct DecimalFormatTests {
    @Test(
        "ratios round half up",
        arguments: [
            (1, 3, 6, "0.333333"), (2, 3, 6, "0.666667"), (1, 8, 2, "0.13"), (219, 1000, 6, "0.219000"), (5, 0, 6, ""),
            (7, 2, 0, "4"),
        ] as [(Int64, Int64, Int, String)])
    func ratios(numerator: Int64, denominator: Int64, scale: Int, expected: String) {
        #expect(DecimalFormat.ratio(numerator, denominator, scale: scale) == expected)
    }
}

@Suite("resident identity numbers")
struct IdentityNumberTests {
    func validate(_ text: String) -> Result<CivilDate, ProblemBox> {
        var text = text
        return text.withUTF8 { ResidentIdentityNumber.validate(UnsafeRawBufferPointer($0)) }
    }

    @Test("accepts valid numbers, with X or x as check character")
    func valid() throws {
        #expect(try validate("11010519491231002X").get().description == "1949-12-31")
        #expect(try validate("11010519491231002x").get().description == "1949-12-31")
        #expect(try validate("440524188001010014").get().description == "1880-01-01")
    }

    @Test("names the problem")
    func problems() {
        #expect(validate("110105194912310023") == .failure(ProblemBox(.checkDigit)))
        #expect(validate("1101051949123100") == .failure(ProblemBox(.length(16))))
        #expect(validate("11010519491231A02X") == .failure(ProblemBox(.characters)))
        #expect(validate("110105194913310021") == .failure(ProblemBox(.birthDate)))
    }

    @Test("upgrades 15-digit numbers and masks")
    func legacyAndMask() {
        var legacy = "110105491231002"
        let upgraded = legacy.withUTF8 { ResidentIdentityNumber.upgradeLegacy(UnsafeRawBufferPointer($0)) }
        #expect(upgraded.map { String(decoding: $0, as: UTF8.self) } == "11010519491231002X")
        #expect(ResidentIdentityNumber.masked("36010219900101123X") == "3601**********123X")
    }
}

@Suite("timestamps at fixed positions and in other forms")
struct TimestampFormsTests {
    @Test(
        "the common forms read the same as their other spellings; invalid values are refused",
        arguments: [
            ("2022-03-04", "2022/3/4"), ("2022-03-04 10:30", "2022/3/4 10:30"),
            ("2022-03-04T10:30:05", "2022年3月4日 10:30:05"), ("2024-02-29 23:59:59", "2024/2/29 23:59:59"),
            ("2022-12-31 00:00:00", " 2022/12/31 "),
        ])
    func sameMoment(fixed: String, other: String) throws {
        let a = try #require(Timestamp(fixed))
        let b = try #require(Timestamp(other))
        #expect(a == b)
    }

    @Test(
        "invalid dates and times at fixed positions are refused",
        arguments: [
            "2022-02-30", "2022-13-01", "2022-00-10", "2022-01-01 24:00", "2022-01-01 10:60",
            "2022-01-01 10:00:60", "0999-01-01", "2022-01-01X10:00", "2022-1a-01", "2022-01-01 10:00:6x",
        ])
    func refused(text: String) {
        #expect(Timestamp(text) == nil)
    }

    @Test("seconds since 1970 at fixed positions")
    func seconds() throws {
        #expect(try #require(Timestamp("1970-01-02 00:00:01")).secondsSinceEpoch == 86_401)
        #expect(try #require(Timestamp("2022-03-04T10:30")).secondsSinceEpoch == 1_646_389_800)
    }
}

@Suite("timestamps at fixed positions")
struct FixedPositionTests {
    /// The fast path as first written: digit by digit.
    static func reference(_ bytes: [UInt8]) -> Int64? {
        let count = bytes.count
        guard count == 10 || count == 16 || count == 19, bytes[4] == 0x2D, bytes[7] == 0x2D else { return nil }
        func digits(_ at: Int, _ length: Int) -> Int? {
            var value = 0
            for index in at..<(at + length) {
                let digit = bytes[index] &- 0x30
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
            }
            return value
        }
        guard let year = digits(0, 4), year >= 1000, let month = digits(5, 2), let day = digits(8, 2),
            let date = CivilDate(year: year, month: month, day: day)
        else { return nil }
        var seconds = Int64(date.daysSinceEpoch) * 86400
        if count > 10 {
            guard bytes[10] == 0x20 || bytes[10] == 0x54, bytes[13] == 0x3A, let hour = digits(11, 2), hour < 24,
                let minute = digits(14, 2), minute < 60
            else { return nil }
            var second = 0
            if count == 19 {
                guard bytes[16] == 0x3A, let value = digits(17, 2), value < 60 else { return nil }
                second = value
            }
            seconds += Int64(hour * 3600 + minute * 60 + second)
        }
        return seconds
    }

    @Test("word-at-a-time parsing agrees with digit by digit on valid, near-valid and broken timestamps")
    func agreesWithDigitByDigit() {
        var generator = SystemRandomNumberGenerator()
        let noise: [UInt8] = Array("0123456789-: T/.aZ".utf8) + [0x00, 0x29, 0x2F, 0x3A, 0x3F, 0x7F, 0x80, 0xB9, 0xFF]
        var valid = 0
        for round in 0..<60_000 {
            let pattern = ["yyyy-MM-dd", "yyyy-MM-dd HH:mm", "yyyy-MM-ddTHH:mm", "yyyy-MM-dd HH:mm:ss"][round % 4]
            var bytes = Array(pattern.utf8).map { byte -> UInt8 in
                let letter = Character(UnicodeScalar(byte))
                return letter.isLetter && letter != "T"
                    ? UInt8(ascii: "0") + UInt8.random(in: 0...9, using: &generator) : byte
            }
            // Mostly plausible numbers, then up to two bytes changed to anything.
            if round % 3 != 0 {
                func put(_ value: Int, width: Int, at offset: Int) {
                    let text = String(value)
                    let digits = Array((String(repeating: "0", count: width - text.count) + text).utf8)
                    for (index, digit) in digits.enumerated() { bytes[offset + index] = digit }
                }
                put(Int.random(in: 1900...2099, using: &generator), width: 4, at: 0)
                put(Int.random(in: 1...12, using: &generator), width: 2, at: 5)
                put(Int.random(in: 1...28, using: &generator), width: 2, at: 8)
                if bytes.count > 10 {
                    put(Int.random(in: 0...23, using: &generator), width: 2, at: 11)
                    put(Int.random(in: 0...59, using: &generator), width: 2, at: 14)
                }
                if bytes.count > 16 { put(Int.random(in: 0...59, using: &generator), width: 2, at: 17) }
            }
            for _ in 0..<Int.random(in: 0...2, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = noise.randomElement(using: &generator)!
            }
            let expected = Self.reference(bytes)
            if expected != nil { valid += 1 }
            #expect(
                bytes.withUnsafeBytes { Timestamp.fixedPosition($0) } == expected,
                "\(String(decoding: bytes, as: UTF8.self))")
        }
        #expect(valid > 10_000)
    }
}
