/// A calendar day in the proleptic Gregorian calendar, stored as days since 1970-01-01.
///
/// Parses the forms found in provincial exports: `2022-07-06`, `2022/7/6` and `2022年7月6日`,
/// each optionally followed by a time (`T` or a space, then `HH:MM` or `HH:MM:SS`).
public struct CivilDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var daysSinceEpoch: Int32

    public init(daysSinceEpoch: Int32) { self.daysSinceEpoch = daysSinceEpoch }

    /// The day for a year, month and day, or nil when they do not name a real day.
    public init?(year: Int, month: Int, day: Int) {
        if year >= Self.tableFirstYear, year < Self.tableFirstYear + Self.tableYears, month >= 1, month <= 12 {
            let index = (year - Self.tableFirstYear) * 12 + month - 1
            let start = Self.monthStarts[index]
            guard day >= 1, day <= Int(Self.monthStarts[index + 1] - start) else { return nil }
            self.init(daysSinceEpoch: start + Int32(day - 1))
        } else {
            self.init(computing: year, month: month, day: day)
        }
    }

    /// `init(year:month:day:)` by arithmetic alone, for any year from 1 to 9999.
    init?(computing year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1,
            day <= CivilDate.daysIn(month: month, year: year)
        else { return nil }
        daysSinceEpoch = Int32(CivilDate.days(year: year, month: month, day: day))
    }

    /// The years `monthStarts` covers: every date a record or a birth can carry, so that
    /// parsing one costs two loads instead of the divisions of the general formula.
    static let tableFirstYear = 1900
    static let tableYears = 300
    /// Days since 1970 of the first of each month from January 1900 on, and one more entry for
    /// the month after the last, so that a month's length is the difference of two entries.
    nonisolated(unsafe) static let monthStarts: UnsafeMutablePointer<Int32> = {
        let months = tableYears * 12
        let table = UnsafeMutablePointer<Int32>.allocate(capacity: months + 1)
        for index in 0...months {
            table[index] = Int32(days(year: tableFirstYear + index / 12, month: index % 12 + 1, day: 1))
        }
        return table
    }()

    public static func < (a: CivilDate, b: CivilDate) -> Bool { a.daysSinceEpoch < b.daysSinceEpoch }

    public static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 (Howard Hinnant's days_from_civil).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }

    /// Year, month and day of this date: from the month-start table for the years it covers.
    public var components: (year: Int, month: Int, day: Int) {
        let days = Int(daysSinceEpoch)
        let year = self.year
        guard year >= Self.tableFirstYear, year < Self.tableFirstYear + Self.tableYears else {
            return computedComponents
        }
        let january = (year - Self.tableFirstYear) * 12
        // No month is longer than 31 days, so this is at most the month's index, and close to it.
        var month = (days - Int(Self.monthStarts[january])) / 31
        while month < 11, Int(Self.monthStarts[january + month + 1]) <= days { month += 1 }
        return (year, month + 1, days - Int(Self.monthStarts[january + month]) + 1)
    }

    /// Year, month and day of this date by arithmetic alone (Howard Hinnant's civil_from_days).
    var computedComponents: (year: Int, month: Int, day: Int) {
        let z = Int(daysSinceEpoch) + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let dayOfEra = z - era * 146097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The year of this date; for years the month-start table covers, an estimate corrected by
    /// one comparison with the table instead of the divisions of `components`.
    public var year: Int {
        let days = Int(daysSinceEpoch)
        let estimate = 1970 + Int((Double(days) / 365.2425).rounded(.down))
        guard estimate > Self.tableFirstYear, estimate < Self.tableFirstYear + Self.tableYears - 1 else {
            return computedComponents.year
        }
        let january = (estimate - Self.tableFirstYear) * 12
        if days < Int(Self.monthStarts[january]) { return estimate - 1 }
        if days >= Int(Self.monthStarts[january + 12]) { return estimate + 1 }
        return estimate
    }

    /// The latest birth day of a person who is `years` old or older on this date: the same month
    /// and day `years` earlier, or February 28 when that year has no February 29. Nil when that
    /// year is outside 1 to 9999.
    public func sameDay(yearsEarlier years: Int) -> CivilDate? {
        let (year, month, day) = components
        return CivilDate(year: year - years, month: month, day: day)
            ?? CivilDate(year: year - years, month: month, day: day - 1)
    }

    /// January 1 of this date's year.
    public var startOfYear: CivilDate { CivilDate(year: year, month: 1, day: 1)! }

    /// ISO 8601, `YYYY-MM-DD`.
    public var description: String {
        let (y, m, d) = components
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    /// Parses a date, or a date followed by a time (whose time part is checked and then ignored).
    public init?(parsing bytes: UnsafeRawBufferPointer) {
        guard let timestamp = Timestamp(parsing: bytes) else { return nil }
        self = timestamp.date
    }

    public init?(_ text: String) {
        var text = text
        guard let value = text.withUTF8({ CivilDate(parsing: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = value
    }
}

/// A local date and time to the second, as seconds since 1970-01-01T00:00:00 (no time zone:
/// exports are in China Standard Time and are compared with each other only).
public struct Timestamp: Sendable, Hashable, Comparable {
    public var secondsSinceEpoch: Int64

    public init(secondsSinceEpoch: Int64) { self.secondsSinceEpoch = secondsSinceEpoch }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.secondsSinceEpoch < b.secondsSinceEpoch }

    /// The calendar day of this moment.
    public var date: CivilDate {
        let days = secondsSinceEpoch >= 0 ? secondsSinceEpoch / 86400 : (secondsSinceEpoch - 86399) / 86400
        return CivilDate(daysSinceEpoch: Int32(days))
    }

    /// Parses a date with an optional time of day; a bare date is midnight.
    public init?(parsing bytes: UnsafeRawBufferPointer) {
        if let seconds = Self.fixedPosition(bytes) {
            secondsSinceEpoch = seconds
            return
        }
        var scanner = DateScanner(bytes: bytes)
        scanner.skipSpaces()
        guard let year = scanner.number(maxDigits: 4), year >= 1000 else { return nil }
        let month: Int
        let day: Int
        if scanner.consume(UInt8(ascii: "-")) {
            guard let m = scanner.number(maxDigits: 2), scanner.consume(UInt8(ascii: "-")),
                let d = scanner.number(maxDigits: 2)
            else { return nil }
            (month, day) = (m, d)
        } else if scanner.consume(UInt8(ascii: "/")) {
            guard let m = scanner.number(maxDigits: 2), scanner.consume(UInt8(ascii: "/")),
                let d = scanner.number(maxDigits: 2)
            else { return nil }
            (month, day) = (m, d)
        } else if scanner.consume(DateScanner.nian) {
            guard let m = scanner.number(maxDigits: 2), scanner.consume(DateScanner.yue),
                let d = scanner.number(maxDigits: 2), scanner.consume(DateScanner.ri)
            else { return nil }
            (month, day) = (m, d)
        } else {
            return nil
        }
        guard let date = CivilDate(year: year, month: month, day: day) else { return nil }
        var seconds = Int64(date.daysSinceEpoch) * 86400
        if scanner.consume(UInt8(ascii: "T")) || scanner.consume(UInt8(ascii: " ")) {
            scanner.skipSpaces()
            if !scanner.atEnd {
                guard let hour = scanner.number(maxDigits: 2), hour < 24, scanner.consume(UInt8(ascii: ":")),
                    let minute = scanner.number(maxDigits: 2), minute < 60
                else { return nil }
                var second = 0
                if scanner.consume(UInt8(ascii: ":")) {
                    guard let s = scanner.number(maxDigits: 2), s < 60 else { return nil }
                    second = s
                    if scanner.consume(UInt8(ascii: ".")) { _ = scanner.number(maxDigits: 9) }
                }
                seconds += Int64(hour * 3600 + minute * 60 + second)
            }
        }
        scanner.skipSpaces()
        guard scanner.atEnd else { return nil }
        secondsSinceEpoch = seconds
    }

    public init?(_ text: String) {
        var text = text
        guard let value = text.withUTF8({ Timestamp(parsing: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = value
    }

    /// The common forms `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` and `YYYY-MM-DD HH:MM:SS` (or with `T`),
    /// read at fixed positions; nil for anything else, including invalid values, which the
    /// general parser then looks at (so both give the same result).
    ///
    /// Eight bytes at a time: the digits are checked and turned into numbers within a word
    /// (digit by digit, this was 4 % of the validating thread's time on service records).
    @inline(__always)
    static func fixedPosition(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        let count = bytes.count
        guard count == 10 || count == 16 || count == 19, let base = bytes.baseAddress else { return nil }
        @inline(__always) func word(_ offset: Int) -> UInt64 {
            // XOR with '0': a digit becomes its value, '-' 0x1D, ':' 0x0A, ' ' 0x10, 'T' 0x64.
            UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) ^ 0x3030_3030_3030_3030
        }
        // "YYYY-MM-": digits in bytes 0-3 and 5-6, hyphens in bytes 4 and 7.
        let head = word(0)
        guard areDigits(head, 0x00FF_FF00_FFFF_FFFF), head & 0xFF00_00FF_0000_0000 == 0x1D00_001D_0000_0000 else {
            return nil
        }
        let year = twoDigits(head, at: 0) * 100 + twoDigits(head, at: 2)
        let month = twoDigits(head, at: 5)
        var day: Int
        var secondOfDay = 0
        if count == 10 {
            let tail = UInt64(UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt16.self))) ^ 0x3030
            guard areDigits(tail, 0xFFFF) else { return nil }
            day = twoDigits(tail, at: 0)
        } else {
            // "DD HH:MM": digits in bytes 0-1, 3-4 and 6-7, ' ' or 'T' in byte 2, ':' in byte 5.
            let time = word(8)
            let separator = (time >> 16) & 0xFF
            guard areDigits(time, 0xFFFF_00FF_FF00_FFFF), (time >> 40) & 0xFF == 0x0A,
                separator == 0x10 || separator == 0x64
            else { return nil }
            day = twoDigits(time, at: 0)
            let hour = twoDigits(time, at: 3)
            let minute = twoDigits(time, at: 6)
            guard hour < 24, minute < 60 else { return nil }
            secondOfDay = hour * 3600 + minute * 60
            if count == 19 {
                // Bytes 11-18, "HH:MM:SS": ':' in byte 5, digits in bytes 6-7.
                let seconds = word(11)
                guard (seconds >> 40) & 0xFF == 0x0A, areDigits(seconds, 0xFFFF_0000_0000_0000) else { return nil }
                let second = twoDigits(seconds, at: 6)
                guard second < 60 else { return nil }
                secondOfDay += second
            }
        }
        guard year >= 1000, let date = CivilDate(year: year, month: month, day: day) else { return nil }
        return Int64(date.daysSinceEpoch) * 86400 + Int64(secondOfDay)
    }

    /// The number of the two digit values in bytes `at` and `at + 1` of `word`.
    @inline(__always)
    private static func twoDigits(_ word: UInt64, at byte: UInt64) -> Int {
        let tens: UInt64 = (word >> (8 * byte)) & 0xFF
        let ones: UInt64 = (word >> (8 * byte + 8)) & 0xFF
        return Int(tens &* 10 &+ ones)
    }

    /// Whether every byte of `word` that `mask` selects (0xFF per byte) is 0 to 9: its high nibble
    /// is clear, and stays clear when 6 is added.
    @inline(__always)
    private static func areDigits(_ word: UInt64, _ mask: UInt64) -> Bool {
        let high = mask & 0xF0F0_F0F0_F0F0_F0F0
        return (word | (word &+ (mask & 0x0606_0606_0606_0606))) & high == 0
    }
}

/// A cursor over the bytes of a date, shared by the date and timestamp parsers.
private struct DateScanner {
    static let nian: [UInt8] = Array("年".utf8)
    static let yue: [UInt8] = Array("月".utf8)
    static let ri: [UInt8] = Array("日".utf8)

    let bytes: UnsafeRawBufferPointer
    var index = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }

    mutating func skipSpaces() {
        while index < bytes.count, bytes[index] == 0x20 { index += 1 }
    }

    mutating func number(maxDigits: Int) -> Int? {
        var value = 0
        var digits = 0
        while index < bytes.count, digits < maxDigits, bytes[index] &- 0x30 < 10 {
            value = value * 10 + Int(bytes[index] &- 0x30)
            digits += 1
            index += 1
        }
        return digits == 0 ? nil : value
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func consume(_ sequence: [UInt8]) -> Bool {
        guard bytes.count - index >= sequence.count else { return false }
        for (offset, byte) in sequence.enumerated() where bytes[index + offset] != byte { return false }
        index += sequence.count
        return true
    }
}

func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}
