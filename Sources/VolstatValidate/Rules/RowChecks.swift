import VolstatCore

/// Collects the findings of one row and turns the value checks shared by datasets into typed
/// values; a rule that is off is not checked, and a failed check yields nil.
struct RowChecks {
    let row: any CanonicalRow
    let policy: ValidationPolicy
    let regions: RegionTable
    let today: CivilDate
    private(set) var findings: [Finding] = []

    init(row: any CanonicalRow, policy: ValidationPolicy, regions: RegionTable, today: CivilDate) {
        self.row = row
        self.policy = policy
        self.regions = regions
        self.today = today
    }

    /// Whether any finding so far is an error (the row will be rejected).
    var hasError: Bool { findings.contains { policy.severity($0.rule) == .error } }

    mutating func add(_ rule: Rule, field: Int? = nil, _ message: String, value: String? = nil) {
        guard policy.severity(rule) != .off else { return }
        let name = field.map { row.dataset.fields[$0] }
        findings.append(
            Finding(rule: rule, field: name, column: field.map { row.sourceName($0) }, message: message, value: value))
    }

    /// The field's bytes, or nil (with `field.missing` when `required`) when empty or absent.
    mutating func present(_ field: Int, required: Bool) -> UnsafeRawBufferPointer? {
        if let bytes = row.value(field), bytes.count > 0 { return bytes }
        if required {
            let name = row.dataset.fields[field]
            add(.fieldMissing, field: field, "\(name) is required but empty (column '\(row.sourceName(field))')")
        }
        return nil
    }

    mutating func date(_ field: Int, required: Bool) -> Timestamp? {
        guard let bytes = present(field, required: required) else { return nil }
        let name = row.dataset.fields[field]
        guard let timestamp = Timestamp(parsing: bytes) else {
            add(
                .dateFormat, field: field,
                "\(name) '\(FieldText.display(bytes))' is not a date; expected YYYY-MM-DD, YYYY/M/D or YYYY年M月D日",
                value: FieldText.display(bytes))
            return nil
        }
        if timestamp.date > today {
            add(
                .dateFuture, field: field, "\(name) \(timestamp.date) is after the day of the run (\(today))",
                value: FieldText.display(bytes))
            if policy.severity(.dateFuture) == .error { return nil }
        }
        return timestamp
    }

    mutating func region(_ field: Int, required: Bool) -> RegionCode? {
        guard let bytes = present(field, required: required) else { return nil }
        let name = row.dataset.fields[field]
        guard var code = RegionTable.parseCode(bytes) else {
            add(
                .regionFormat, field: field, "\(name) '\(FieldText.display(bytes))' is not a 6-digit GB/T 2260 code",
                value: FieldText.display(bytes))
            return nil
        }
        if let successor = policy.retiredRegions[code] { code = successor }
        guard regions.contains(code), code != RegionTable.national else {
            add(
                .regionUnknown, field: field,
                "\(name) \(RegionTable.text(code)) is not in the GB/T 2260 table (2022); map retired codes under validate.retired_regions",
                value: FieldText.display(bytes))
            return nil
        }
        return code
    }

    /// A code from a table, as a number (0 when absent).
    mutating func code(_ field: Int, rule: Rule, valid: Set<String>, number: (String) -> UInt8) -> UInt8 {
        guard let bytes = present(field, required: false) else { return 0 }
        let text = String(decoding: bytes, as: UTF8.self)
        guard valid.contains(text) else {
            let name = row.dataset.fields[field]
            let expected = valid.sorted().joined(separator: ", ")
            add(
                rule, field: field,
                "\(name) '\(FieldText.display(bytes))' is not one of \(expected); map the source's values under `values: \(name):`",
                value: FieldText.display(bytes))
            return 0
        }
        return number(text)
    }
}
