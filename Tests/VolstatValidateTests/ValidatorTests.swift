import Testing
import VolstatCore
import VolstatValidate

/// A canonical row held in memory, for driving the validator directly.
final class TestRow: CanonicalRow {
    let dataset: Dataset
    let file = "test.csv"
    var line = 1
    var values: [String: String]
    var identity: IdentityCheck?
    var maskedIdentityNumber: String?
    private var storage: [[UInt8]] = []

    init(_ dataset: Dataset, _ values: [String: String], identity: IdentityCheck? = nil) {
        self.dataset = dataset
        self.values = values
        self.identity = identity
        storage = dataset.fields.map { Array((values[$0] ?? "").utf8) }
    }

    func value(_ field: Int) -> UnsafeRawBufferPointer? {
        storage[field].withUnsafeBytes { UnsafeRawBufferPointer(start: $0.baseAddress, count: $0.count) }
    }

    func sourceName(_ field: Int) -> String { "col_" + dataset.fields[field] }

    /// What a reading thread looked up for the row (`RowFields.resolved`); nil: nothing.
    var resolved: Int64?
    private lazy var layout = RowLayout(storage)

    var fields: RowFields {
        guard let resolved else { return RowFields(row: self) }
        return RowFields(row: self, layout: layout.layout(resolved: resolved))
    }
}

/// A row's values laid out as a reading thread lays them out, with nothing prepared.
final class RowLayout {
    static let notPrepared = Int64.min + 1
    let bytes: UnsafeMutableRawPointer
    let spans: UnsafeMutablePointer<Int>
    let prepared: UnsafeMutablePointer<Int64>
    let fieldCount: Int

    init(_ values: [[UInt8]]) {
        fieldCount = values.count
        bytes = .allocate(byteCount: max(1, values.map(\.count).reduce(0, +)), alignment: 8)
        spans = .allocate(capacity: 2 * fieldCount)
        prepared = .allocate(capacity: fieldCount)
        prepared.initialize(repeating: Self.notPrepared, count: fieldCount)
        var offset = 0
        for (field, value) in values.enumerated() {
            value.withUnsafeBytes { (bytes + offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            spans[2 * field] = offset
            spans[2 * field + 1] = value.count
            offset += value.count
        }
    }

    deinit {
        bytes.deallocate()
        spans.deallocate()
        prepared.deallocate()
    }

    func layout(resolved: Int64) -> RowFields.Layout {
        RowFields.Layout(
            spans: spans, bytes: bytes, prepared: prepared, fieldCount: fieldCount, rowsAhead: 0,
            notPrepared: Self.notPrepared, resolved: resolved)
    }
}

@Suite("validator")
struct ValidatorTests {
    let regions = try! RegionTable.bundled()
    let today = CivilDate("2026-11-23")!

    func validator(_ policy: ValidationPolicy = ValidationPolicy()) -> Validator {
        Validator(policy: policy, regions: regions, today: today, report: ValidationReport(), rejects: RejectSink())
    }

    func person(_ n: UInt64) -> IdentityCheck {
        IdentityCheck(personKey: PersonKey(high: n, low: n), birthDate: CivilDate("1990-01-01"))
    }

    func volunteer(
        _ id: String, region: String = "360102", date: String = "2022-01-01", extra: [String: String] = [:]
    )
        -> TestRow
    {
        var values = ["source_id": id, "region_code": region, "registered_at": date]
        for (key, value) in extra { values[key] = value }
        return TestRow(.volunteers, values)
    }

    @Test("a clean volunteer row becomes typed facts")
    func accepts() throws {
        let v = validator()
        let row = volunteer(
            "A", extra: ["political_status": "02", "gender": "F", "household": "rural", "status": "active"])
        let facts = try #require(v.check(volunteer: row, identity: person(1), platform: 0))
        #expect(facts.registration == 0)
        #expect(facts.region == 360102)
        #expect(facts.politicalStatus == 2)
        #expect(facts.gender == 2)
        #expect(facts.household == 1)
        #expect(!facts.deregistered)
        #expect(v.report.rowsAccepted == 0)
    }

    @Test(
        "each fault is rejected under its rule",
        arguments: [
            (["region_code": "369999"], "region_code.unknown"),
            (["region_code": "36-102"], "region_code.format"),
            (["registered_at": "2022-02-30"], "date.format"),
            (["registered_at": "2027-01-01"], "date.future"),
            (["political_status": "14"], "political_status.unknown"),
            (["gender": "X"], "gender.unknown"),
            (["education": "50"], "education.unknown"),
            (["status": "gone"], "status.unknown"),
            (["birth_date": "2015-01-01"], "birth_date.age_out_of_range"),
            (["source_id": ""], "field.missing"),
        ] as [([String: String], String)])
    func rejects(change: [String: String], rule: String) {
        let v = validator()
        v.report.begin(file: "test.csv", dataset: .volunteers, sha256: "", bytes: 0)
        var values = ["source_id": "A", "region_code": "360102", "registered_at": "2022-01-01"]
        for (key, value) in change { values[key] = value }
        #expect(v.check(volunteer: TestRow(.volunteers, values), identity: person(1), platform: 0) == nil)
        #expect(v.report.rejectedByRule == [rule: 1])
        #expect(v.rejects.counts[.volunteers] == 1)
    }

    @Test("identity problems are rejected with the masked number only")
    func identity() {
        let v = validator()
        v.report.begin(file: "test.csv", dataset: .volunteers, sha256: "", bytes: 0)
        let bad = IdentityCheck(problem: .checkDigit)
        let row = volunteer("A")
        row.maskedIdentityNumber = "3601**********1234"
        #expect(v.check(volunteer: row, identity: bad, platform: 0) == nil)
        #expect(v.check(volunteer: volunteer("B"), identity: nil, platform: 0) == nil)
        #expect(v.report.rejectedByRule == ["id_number.check_digit": 1, "field.missing": 1])
    }

    @Test("a warning keeps the row and counts it; off does not check; structural rules stay errors")
    func severities() {
        var policy = ValidationPolicy()
        policy.severities = ["date.future": .warning, "gender.unknown": .off, "region_code.unknown": .off]
        let v = validator(policy)
        v.report.begin(file: "test.csv", dataset: .volunteers, sha256: "", bytes: 0)
        #expect(v.check(volunteer: volunteer("A", date: "2027-05-05"), identity: person(1), platform: 0) != nil)
        #expect(v.report.warningsByRule == ["date.future": 1])
        let odd = v.check(volunteer: volunteer("B", extra: ["gender": "X"]), identity: person(2), platform: 0)
        #expect(odd?.gender == 0)
        #expect(v.report.rejectedByRule.isEmpty)
        #expect(v.check(volunteer: volunteer("C", region: "369999"), identity: person(3), platform: 0) == nil)
        #expect(v.report.rejectedByRule == ["region_code.unknown": 1])
    }

    @Test("duplicates keep the first; the same person on another platform is fine")
    func duplicates() {
        let v = validator()
        v.report.begin(file: "test.csv", dataset: .volunteers, sha256: "", bytes: 0)
        #expect(v.check(volunteer: volunteer("A"), identity: person(1), platform: 0) != nil)
        #expect(v.check(volunteer: volunteer("A"), identity: person(2), platform: 0) == nil)
        #expect(v.check(volunteer: volunteer("B"), identity: person(1), platform: 0) == nil)
        #expect(v.check(volunteer: volunteer("C"), identity: person(1), platform: 1) != nil)
        #expect(v.report.rejectedByRule == ["record.duplicate": 1, "person.duplicate": 1])
    }

    @Test(
        "a person's registrations on several platforms: one per platform, and a forgotten file's registrations leave no trace"
    )
    func registrationsAcrossPlatforms() {
        let v = validator()
        v.report.begin(file: "test.csv", dataset: .volunteers, sha256: "", bytes: 0)
        func accepted(_ id: String, _ number: UInt64, _ platform: Int32) -> Int32? {
            v.check(volunteer: volunteer(id), identity: person(number), platform: platform)?.registration
        }
        #expect(accepted("A", 1, 0) == 0)
        #expect(accepted("B", 2, 0) == 1)
        #expect(accepted("C", 1, 1) == 2)
        #expect(accepted("D", 1, 1) == nil)  // person 1 is on platform 1 already (C)
        #expect(accepted("E", 1, 2) == 3)
        #expect(accepted("F", 3, 2) == 4)
        #expect(v.registrationCount == 5)
        v.forget(registrationsFrom: 3, serviceRecordsOfFile: 7)
        #expect(v.registrationCount == 3)
        // Another person takes number 3: a link left from A or C to the forgotten E would now
        // lead to it, and person 1 would be taken for a duplicate on platform 2.
        #expect(accepted("G", 4, 2) == 3)
        #expect(accepted("H", 1, 2) == 4)
        #expect(accepted("I", 1, 2) == nil)
        #expect(accepted("J", 3, 0) == 5)  // person 3 came with F only: a new person again
        #expect(accepted("K", 1, 0) == nil)  // A
        #expect(accepted("L", 1, 1) == nil)  // C, reached through A's link
        #expect(accepted("T", 5, 0) == 6)
        // Forgotten from within the run of platform 0 that J started: the run stays for J.
        v.forget(registrationsFrom: 6, serviceRecordsOfFile: 8)
        #expect(accepted("M", 2, 1) == 6)
        #expect(accepted("N", 2, 0) == nil)  // B
        #expect(accepted("O", 2, 1) == nil)  // M
        #expect(accepted("U", 3, 0) == nil)  // J
        #expect(accepted("P", 3, 1) == 7)
        #expect(accepted("V", 5, 1) == 8)  // person 5 came with T only
        #expect(v.report.rejectedByRule == ["person.duplicate": 7])
        // Everything forgotten: the next file starts again from number 0.
        v.forget(registrationsFrom: 0, serviceRecordsOfFile: 9)
        #expect(v.registrationCount == 0)
        #expect(accepted("Q", 1, 2) == 0)
        #expect(accepted("R", 1, 2) == nil)
        #expect(accepted("S", 1, 0) == 1)
        #expect(v.report.rejectedByRule == ["person.duplicate": 8])
    }

    @Test("service records: hours, dates, references and duplicates")
    func serviceRecords() {
        let v = validator()
        v.report.begin(file: "test.csv", dataset: .volunteers, sha256: "", bytes: 0)
        _ = v.check(volunteer: volunteer("A"), identity: person(1), platform: 0)
        _ = v.check(volunteer: volunteer("R", region: "000001"), identity: person(2), platform: 0)
        v.report.begin(file: "test.csv", dataset: .serviceRecords, sha256: "", bytes: 0)
        func record(
            _ id: String, _ volunteer: String, _ hours: String, end: String = "2022-06-01 18:00", verified: String = "是"
        )
            -> ServiceFacts?
        {
            let row = TestRow(
                .serviceRecords,
                [
                    "record_id": id, "volunteer_id": volunteer, "hours": hours, "started_at": "2022-06-01 08:00",
                    "ended_at": end, "verified": verified,
                ])
            return v.check(serviceRecord: row, file: 1)
        }
        let facts = record("1", "A", "2.5", verified: "否")
        #expect(facts?.hours == Hours(hundredths: 250))
        #expect(facts?.verified == false)
        #expect(record("1", "A", "1") == nil)
        #expect(record("2", "A", "0") == nil)
        #expect(record("3", "A", "24.5") == nil)
        #expect(record("4", "A", "9", end: "2022-06-01 12:00") == nil)
        #expect(record("5", "A", "1", end: "2022-05-01 12:00") == nil)
        #expect(record("6", "Z", "1") == nil)
        #expect(record("7", "R", "1") == nil)
        #expect(record("8", "A", "1", verified: "maybe") == nil)
        #expect(
            v.report.files[1].rejectedByRule == [
                "record.duplicate": 1, "hours.out_of_range": 2, "hours.exceeds_span": 1, "date.order": 1,
                "reference.unknown_volunteer": 1, "reference.rejected_volunteer": 1, "verified.unknown": 1,
            ])
    }

    @Test(
        "service records: the volunteer the reading thread looked up is the one checked, with validation on or off",
        arguments: [true, false])
    func resolvedVolunteers(validating: Bool) {
        var policy = ValidationPolicy()
        policy.enabled = validating
        let v = validator(policy)
        v.report.begin(file: "test.csv", dataset: .volunteers, sha256: "", bytes: 0)
        _ = v.check(volunteer: volunteer("A"), identity: person(1), platform: 0)
        _ = v.check(volunteer: volunteer("B"), identity: person(2), platform: 0)
        v.report.begin(file: "test.csv", dataset: .serviceRecords, sha256: "", bytes: 0)
        func record(_ id: String, _ volunteer: String, resolved: Int64?) -> ServiceFacts? {
            let row = TestRow(
                .serviceRecords,
                [
                    "record_id": id, "volunteer_id": volunteer, "hours": "1", "started_at": "2022-06-01 08:00",
                    "verified": "1",
                ])
            row.resolved = resolved
            return v.check(serviceRecord: row, file: 1)
        }
        // The lookup's result stands for the table's, even where a test makes them differ.
        #expect(record("1", "A", resolved: 1)?.registration == 1)
        #expect(record("2", "A", resolved: 0)?.registration == 0)
        #expect(record("3", "A", resolved: RowPreparation.notFound) == nil)
        #expect(record("4", "B", resolved: -1) == nil)
        // Nothing looked up: the table's answer.
        #expect(record("5", "B", resolved: nil)?.registration == 1)
        // Without validation, a volunteer not registered and one rejected are both unknown.
        #expect(
            v.report.files[1].rejectedByRule
                == (validating
                    ? ["reference.unknown_volunteer": 1, "reference.rejected_volunteer": 1]
                    : ["reference.unknown_volunteer": 2]))
    }

    @Test("the reading thread prepares the key hashes and the volunteers' lookup with validation off as well")
    func preparationWithValidationOff() throws {
        var policy = ValidationPolicy()
        policy.enabled = false
        let v = validator(policy)
        let volunteers = try #require(v.preparation(for: .volunteers))
        #expect(volunteers.steps.indices.filter { volunteers.steps[$0] != nil } == [VolunteerField.sourceID])
        let records = try #require(v.preparation(for: .serviceRecords))
        #expect(records.steps.indices.filter { records.steps[$0] != nil } == [ServiceRecordField.volunteerID])
        #expect(records.lookup?.field == ServiceRecordField.volunteerID)
        #expect(v.preparation(for: .placements) == nil)
    }

    @Test(
        "verified: 1/0, true/false, yes/no, y/n, t/f in any case and 是/否; anything else is unknown",
        arguments: [
            ("1", true), ("TRUE", true), ("Yes", true), ("y", true), ("T", true), ("是", true), ("0", false),
            ("False", false), ("NO", false), ("n", false), ("f", false), ("否", false), ("maybe", nil),
            ("yes!", nil), ("truee", nil), ("2", nil), ("是的", nil),
        ] as [(String, Bool?)])
    func verifiedValues(text: String, verified: Bool?) {
        let v = validator()
        v.report.begin(file: "test.csv", dataset: .volunteers, sha256: "", bytes: 0)
        _ = v.check(volunteer: volunteer("A"), identity: person(1), platform: 0)
        v.report.begin(file: "test.csv", dataset: .serviceRecords, sha256: "", bytes: 0)
        let row = TestRow(
            .serviceRecords,
            [
                "record_id": "1", "volunteer_id": "A", "hours": "1", "started_at": "2022-06-01 08:00",
                "verified": text,
            ])
        #expect(v.check(serviceRecord: row, file: 1)?.verified == verified)
    }

    @Test("thresholds measure shares of all rows read")
    func thresholds() {
        var policy = ValidationPolicy()
        policy.maxRejectRate = 0.3
        policy.maxRejectRateByRule = ["region_code.unknown": 0.1]
        let v = validator(policy)
        v.report.begin(file: "test.csv", dataset: .volunteers, sha256: "", bytes: 0)
        for index in 0..<8 {
            _ = v.check(volunteer: volunteer("A\(index)"), identity: person(UInt64(index)), platform: 0)
        }
        for index in 0..<2 {
            _ = v.check(
                volunteer: volunteer("B\(index)", region: "369999"), identity: person(UInt64(100 + index)), platform: 0)
        }
        let results = v.report.evaluate(policy)
        #expect(results.map(\.subject) == ["unreadable_files", "overall", "region_code.unknown"])
        #expect(results.map(\.passed) == [true, true, false])
        #expect(results[2].measured == 0.2)
        #expect(!v.report.passed)
    }

    @Test("identity-like text is masked wherever it appears")
    func privacy() {
        #expect(
            PrivacyFilter.mask("id 36010219900101123X and 360102850505051.")
                == "id 3601**********123X and 3601*******5051.")
        #expect(PrivacyFilter.mask("JX00001234 and 2022-07-06") == "JX00001234 and 2022-07-06")
    }
}
