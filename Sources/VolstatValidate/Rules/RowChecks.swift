import VolstatCore

/// Collects the findings of one row and turns the value checks shared by datasets into typed
/// values; a rule that is off is not checked, and a failed check yields nil.
struct RowChecks {
    // `unowned(unsafe)`: a RowChecks lives only while one row is checked, and its caller holds the
    // row and the context for all of that time. Strong references would cost a retain and a
    // release of each per row, which the profile showed as 9 % of a run.
    unowned(unsafe) let row: any CanonicalRow
    unowned(unsafe) let context: RuleContext
    /// The row's fields, read without calls through the protocol where the reader allows.
    let fields: RowFields
    private(set) var findings: [Finding] = []

    init(row: any CanonicalRow, context: RuleContext) {
        self.row = row
        self.context = context
        fields = row.fields
    }

    /// Whether any finding so far is an error (the row will be rejected).
    var hasError: Bool { !findings.isEmpty && findings.contains { context.policy.severity($0.rule) == .error } }

    mutating func add(_ rule: Rule, field: Int? = nil, _ message: String, value: String? = nil) {
        guard context.policy.severity(rule) != .off else { return }
        let name = field.map(fieldName)
        findings.append(
            Finding(rule: rule, field: name, column: field.map { row.sourceName($0) }, message: message, value: value))
    }

    /// The canonical name of a field, for messages (only ever needed on the way to a finding).
    func fieldName(_ field: Int) -> String { row.dataset.fields[field] }

    /// The field's bytes, or nil (with `field.missing` when `required`) when empty or absent.
    /// Inlined into every check; the findings are built out of line, since rows seldom have any.
    @inline(__always)
    mutating func present(_ field: Int, required: Bool) -> UnsafeRawBufferPointer? {
        if let bytes = fields.value(field), bytes.count > 0 { return bytes }
        if required { addMissing(field) }
        return nil
    }

    @inline(never)
    private mutating func addMissing(_ field: Int) {
        let name = fieldName(field)
        add(.fieldMissing, field: field, "\(name) is required but empty (column '\(row.sourceName(field))')")
    }

    mutating func date(_ field: Int, required: Bool) -> Timestamp? {
        guard let bytes = present(field, required: required) else { return nil }
        let seconds = fields.prepared(field, else: .timestamp, bytes)
        guard seconds != RowPreparation.invalid, case let timestamp = Timestamp(secondsSinceEpoch: seconds) else {
            let name = fieldName(field)
            add(
                .dateFormat, field: field,
                "\(name) '\(FieldText.display(bytes))' is not a date; expected YYYY-MM-DD, YYYY/M/D or YYYY年M月D日",
                value: FieldText.display(bytes))
            return nil
        }
        if timestamp.date > context.today {
            let name = fieldName(field)
            add(
                .dateFuture, field: field, "\(name) \(timestamp.date) is after the day of the run (\(context.today))",
                value: FieldText.display(bytes))
            if context.policy.severity(.dateFuture) == .error { return nil }
        }
        return timestamp
    }

    mutating func region(_ field: Int, required: Bool) -> RegionCode? {
        guard let bytes = present(field, required: required) else { return nil }
        let parsed = fields.prepared(field, else: .regionCode, bytes)
        guard parsed != RowPreparation.invalid, case var code = RegionCode(truncatingIfNeeded: parsed) else {
            let name = fieldName(field)
            add(
                .regionFormat, field: field, "\(name) '\(FieldText.display(bytes))' is not a 6-digit GB/T 2260 code",
                value: FieldText.display(bytes))
            return nil
        }
        if context.hasRetiredRegions, let successor = context.policy.retiredRegions[code] {
            code = successor
        }
        let knownRegions = context.knownRegions
        guard code >= 0, code < knownRegions.count, knownRegions[Int(code)] else {
            let name = fieldName(field)
            add(
                .regionUnknown, field: field,
                "\(name) \(RegionTable.text(code)) is not in the GB/T 2260 table (2022); map retired codes under validate.retired_regions",
                value: FieldText.display(bytes))
            return nil
        }
        return code
    }

    /// A code from a table, as a number (0 when absent or, at warning severity, invalid).
    mutating func code(_ field: Int, rule: Rule, table: CodeTable) -> UInt8 {
        guard let bytes = present(field, required: false) else { return 0 }
        if let number = table.number(bytes) { return number }
        let name = fieldName(field)
        add(
            rule, field: field,
            "\(name) '\(FieldText.display(bytes))' is not one of \(table.codes.joined(separator: ", ")); map the source's values under `values: \(name):`",
            value: FieldText.display(bytes))
        return 0
    }
}

/// What every row's checks consult, shared by reference so that a row costs no copies.
final class RuleContext: @unchecked Sendable {
    let policy: ValidationPolicy
    let regions: RegionTable
    let today: CivilDate
    /// Per 6-digit code, whether it is a division of the table (and not the nation): read per
    /// row without touching the table's arrays and dictionaries (no reference counting).
    /// Read straight from `RowChecks.region` (a method call here would retain the context per row).
    let knownRegions: UnsafeMutableBufferPointer<Bool>
    let hasRetiredRegions: Bool

    init(policy: ValidationPolicy, regions: RegionTable, today: CivilDate) {
        self.policy = policy
        self.regions = regions
        self.today = today
        hasRetiredRegions = !policy.retiredRegions.isEmpty
        knownRegions = .allocate(capacity: 1_000_000)
        for code in 0..<1_000_000 {
            knownRegions[code] = code != Int(RegionTable.national) && regions.contains(RegionCode(code))
        }
    }

    deinit { knownRegions.deallocate() }
}

/// A canonical code table matched on bytes: each code's text and the number it is stored as.
///
/// Codes of up to 16 bytes sit in a small table without collisions (a multiplicative hash whose
/// multiplier is searched for when the table is made), so that a value costs one probe and one
/// comparison of two words; scanning the codes one by one cost a mispredicted branch per value,
/// 12 % of the validating thread's time on a file of volunteers. Longer codes are compared byte
/// by byte. A class, so that passing a table costs no reference counting of its arrays; it is
/// not changed after it is made.
final class CodeTable: @unchecked Sendable {
    let codes: [String]
    private let longEntries: [([UInt8], UInt8)]
    private let slots: UnsafeMutablePointer<Slot>
    private let multiplier: UInt64
    private let shift: UInt64

    /// A code of up to 16 bytes as two zero-padded words and its length (0: an empty slot).
    private struct Slot {
        var first: UInt64 = 0
        var second: UInt64 = 0
        var length = 0
        var number: UInt8 = 0
    }

    init(_ entries: [(String, UInt8)]) {
        codes = entries.map(\.0)
        longEntries = entries.filter { $0.0.utf8.count > 16 }.map { (Array($0.0.utf8), $0.1) }
        let short = entries.compactMap { code, number -> Slot? in
            let bytes = Array(code.utf8)
            guard bytes.count <= 16 else { return nil }
            let (first, second) = bytes.withUnsafeBytes { Self.words($0) }
            return Slot(first: first, second: second, length: bytes.count, number: number)
        }
        precondition(Set(codes).count == codes.count, "a code table lists a code twice")
        // At least four slots per code: a multiplier without collisions turns up in a few tries,
        // and one more bit of slots is tried after every thousand misses.
        var bits: UInt64 = 4
        while 1 << bits < 4 * short.count { bits += 1 }
        var candidate: UInt64 = 0x9E37_79B9_7F4A_7C15
        var tries = 0
        while true {
            let indexes = Set(short.map { Self.index($0.first, $0.second, $0.length, candidate, 64 - bits) })
            if indexes.count == short.count { break }
            candidate = (candidate &* 0xBF58_476D_1CE4_E5B9 &+ 0x94D0_49BB_1331_11EB) | 1
            tries += 1
            if tries % 1000 == 0 { bits += 1 }
        }
        let size = 1 << Int(bits)
        multiplier = candidate
        shift = 64 - bits
        slots = .allocate(capacity: size)
        slots.initialize(repeating: Slot(), count: size)
        for slot in short { slots[Self.index(slot.first, slot.second, slot.length, candidate, 64 - bits)] = slot }
    }

    deinit { slots.deallocate() }

    @inline(__always)
    private static func index(
        _ first: UInt64, _ second: UInt64, _ length: Int, _ multiplier: UInt64, _ shift: UInt64
    )
        -> Int
    {
        Int(truncatingIfNeeded: ((first ^ (second &* 0xFF51_AFD7_ED55_8CCD) ^ UInt64(length)) &* multiplier) >> shift)
    }

    /// The bytes as two words, zero-padded (at most 16 bytes); shifted in rather than copied,
    /// which for codes of a few bytes costs less than a call to copy them.
    @inline(__always)
    private static func words(_ bytes: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
        var first: UInt64 = 0
        var second: UInt64 = 0
        let count = bytes.count
        for index in 0..<min(count, 8) { first |= UInt64(bytes[index]) << UInt64(8 * index) }
        if count > 8 {
            for index in 8..<count { second |= UInt64(bytes[index]) << UInt64(8 * (index - 8)) }
        }
        return (first, second)
    }

    @inline(__always)
    func number(_ bytes: UnsafeRawBufferPointer) -> UInt8? {
        guard bytes.count <= 16 else {
            return longEntries.first { code, _ in code.withUnsafeBytes { $0.elementsEqual(bytes) } }?.1
        }
        let (first, second) = Self.words(bytes)
        let slot = slots[Self.index(first, second, bytes.count, multiplier, shift)]
        // An empty slot has length 0, which no value reaching here has.
        return slot.length == bytes.count && bytes.count > 0 && slot.first == first && slot.second == second
            ? slot.number : nil
    }

    static let politicalStatus = CodeTable(
        CodeTables.politicalStatus.sorted().map { ($0, UInt8($0)!) })
    static let gender = CodeTable([("M", 1), ("F", 2)])
    static let education = CodeTable(CodeTables.education.sorted().map { ($0, UInt8($0)!) })
    static let household = CodeTable([("rural", 1), ("urban", 2)])
    static let volunteerStatus = CodeTable([("active", 1), ("deregistered", 2)])
    static let stage = numbered(CodeTables.stage)
    static let specialProgramme = numbered(CodeTables.specialProgramme)
    static let postLevel = numbered(CodeTables.postLevel)
    static let outcome = numbered(CodeTables.outcome)
    static let rating = numbered(CodeTables.rating)

    /// Codes numbered 1, 2, 3, ... in the order given.
    static func numbered(_ codes: [String]) -> CodeTable {
        CodeTable(codes.enumerated().map { ($0.element, UInt8($0.offset + 1)) })
    }
}
