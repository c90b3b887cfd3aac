import Crypto
import Foundation
import Testing
import VolstatCore
import VolstatTestSupport

@testable import VolstatIngest

/// A source that gives its bytes and then fails, as a file cut off by a disk error does.
final class FailingByteSource: ByteSource {
    private let bytes: [UInt8]
    private var position = 0
    var bytesConsumed: Int { position }

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard position < bytes.count else { throw InputError("test.csv: the disk went away") }
        let count = min(buffer.count, bytes.count - position, 100)
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + position, byteCount: count) }
        position += count
        return count
    }
}

@Suite("reading ahead on a second thread")
struct ReadAheadTests {
    static let header = "record_id,volunteer_id,activity_id,org_id,region_code,started_at,ended_at,hours,verified\n"

    static func records(_ count: Int) -> String {
        Self.header
            + (0..<count).map { index in
                index == 7
                    ? "R7,broken\n"
                    : "R\(index), V\(index % 13) ,A1,O1,360102,2022-03-0\(index % 9 + 1) 08:00,,\(index % 5).5,1\n"
            }.joined()
    }

    /// Every row as (line, problem, values) through a reader.
    static func rows(_ rows: any CanonicalRow, next: () throws -> Bool) throws -> [String] {
        var result: [String] = []
        while try next() {
            let problem = (rows as? ReadAheadRows)?.problem ?? (rows as? CanonicalRowReader)?.problem
            // A row that could not be read has no values to check (only its line and problem).
            let values = (0..<rows.dataset.fields.count).map { field in
                problem != nil ? "" : rows.value(field).map { String(decoding: $0, as: UTF8.self) } ?? "-"
            }
            result.append("\(rows.line) \(problem?.ruleCode ?? "ok") \(values.joined(separator: "|"))")
        }
        return result
    }

    static func openDirect(_ text: String) throws -> CanonicalRowReader {
        try CanonicalRowReader(
            reader: CSVReader(source: MemoryByteSource(Array(text.utf8)), name: "test.csv"),
            mapping: FieldMapping(dataset: .serviceRecords), pseudonymiser: nil)
    }

    @Test("the same rows, lines and problems as reading directly, across many small batches")
    func sameRows() throws {
        let text = Self.records(1_000)
        let direct = try Self.openDirect(text)
        let expected = try Self.rows(direct) { try direct.next() }
        let ahead = try ReadAheadRows(file: "test.csv", rowsPerBatch: 3) { try Self.openDirect(text) }
        #expect(try Self.rows(ahead) { try ahead.next() } == expected)
        #expect(expected.count == 1_000)
        #expect(expected[7].hasPrefix("9 row.ragged"))
        #expect(try !ahead.next())
    }

    @Test("values padded with spaces or tabs, empty or all blank, laid out as read directly")
    func paddedValues() throws {
        let values = ["V1", " V2", "V3\t", "\tV4 ", "", " ", "\t \t", "V 8"]
        let text =
            Self.header
            + values.enumerated().map { "R\($0.offset),\($0.element),A1,O1,360102,2022-03-01 08:00,,1.5,1\n" }.joined()
        let direct = try Self.openDirect(text)
        let expected = try Self.rows(direct) { try direct.next() }
        let ahead = try ReadAheadRows(file: "test.csv", rowsPerBatch: 3) { try Self.openDirect(text) }
        #expect(try Self.rows(ahead) { try ahead.next() } == expected)
        #expect(
            expected.map { $0.split(separator: "|", omittingEmptySubsequences: false)[1] } == [
                "V1", "V2", "V3", "V4", "", "", "", "V 8",
            ])
    }

    @Test(
        "rows point into the CSV reader's chunks, which it never writes over while a batch holds them",
        arguments: [64, 1024])
    func chunksHeldByBatches(bufferSize: Int) throws {
        let text = Self.records(300)
        let direct = try Self.openDirect(text)
        let expected = try Self.rows(direct) { try direct.next() }
        // Chunks of 64 bytes (128 once the header has grown the first) hold one or two records
        // each, so that every batch holds several; chunks of 1 KiB are read a quarter at a time,
        // each quarter appended behind the records not yet handed out.
        let ahead = try ReadAheadRows(file: "test.csv", rowsPerBatch: 4) {
            try CanonicalRowReader(
                reader: CSVReader(source: MemoryByteSource(Array(text.utf8)), name: "test.csv", bufferSize: bufferSize),
                mapping: FieldMapping(dataset: .serviceRecords), pseudonymiser: nil)
        }
        let read = try Self.rows(ahead) {
            guard try ahead.next() else { return false }
            // The reader fills every batch it may (and reads on into spare chunks) before the
            // row's values are read.
            _ = ahead.waitUntilReaderIsAhead(timeout: 0.02)
            return true
        }
        #expect(read == expected)
        #expect(read.count == 300)
    }

    @Test("prepared values are the hashes and dates the validator would compute, rows ahead included")
    func preparedValues() throws {
        var preparation = RowPreparation(fieldCount: Dataset.serviceRecords.fields.count)
        preparation.set(ServiceRecordField.volunteerID, .keyHash(seed: 5))
        preparation.set(ServiceRecordField.startedAt, .timestamp)
        let text = Self.records(50)
        let rows = try ReadAheadRows(file: "test.csv", rowsPerBatch: 8, preparation: preparation) {
            try Self.openDirect(text)
        }
        var checked = 0
        while try rows.next() {
            guard rows.problem == nil else {
                #expect(rows.fields.prepared(ServiceRecordField.volunteerID) == nil)
                continue
            }
            let volunteer = try #require(rows.value(ServiceRecordField.volunteerID))
            #expect(
                rows.fields.prepared(ServiceRecordField.volunteerID)
                    == Int64(bitPattern: ByteKeyTable.hash(volunteer, seed: 5)))
            #expect(rows.fields.value(ServiceRecordField.volunteerID).map(Array.init) == Array(volunteer))
            let started = try #require(rows.value(ServiceRecordField.startedAt))
            #expect(
                rows.fields.prepared(ServiceRecordField.startedAt) == Timestamp(parsing: started)?.secondsSinceEpoch)
            #expect(rows.fields.prepared(ServiceRecordField.endedAt) == nil)
            if let ahead = rows.fields.prepared(ServiceRecordField.volunteerID, ahead: 1) {
                #expect(rows.prepared(ServiceRecordField.volunteerID, ahead: 1) == ahead)
            }
            checked += 1
        }
        #expect(checked == 49)
    }

    @Test("the raw identity number is not among the bytes handed to the validating thread")
    func identityNumberStaysBehind() throws {
        let numbers = ["11010519491231002X", "110105194912310029", "440524188001010014"]
        let text =
            "source_id,id_number,gender,region_code,registered_at\n"
            + numbers.enumerated().map { "V\($0.offset),\($0.element),F,110105,2022-01-0\($0.offset + 1)\n" }
            .joined()
        let rows = try ReadAheadRows(file: "v.csv") {
            try CanonicalRowReader(
                reader: CSVReader(source: MemoryByteSource(Array(text.utf8)), name: "v.csv"),
                mapping: FieldMapping(dataset: .volunteers), pseudonymiser: nil)
        }
        var checked = 0
        while try rows.next() {
            #expect(rows.hasIdentityNumber)
            #expect(rows.value(VolunteerField.idNumber) == nil)
            // The row's bytes in the batch: from its first value to the end of its last.
            let values = (0..<Dataset.volunteers.fields.count).compactMap { rows.value($0) }
            let low = try #require(values.map { $0.baseAddress! }.min())
            let high = try #require(values.map { $0.baseAddress! + $0.count }.max())
            let copied = String(decoding: UnsafeRawBufferPointer(start: low, count: high - low), as: UTF8.self)
            #expect(copied.hasPrefix("V\(checked),"))
            for number in numbers { #expect(!copied.contains(number)) }
            checked += 1
        }
        #expect(checked == 3)
    }

    /// 200 records read ahead in batches of 8 with `preparation`, once the reader has filled its
    /// three batches at once and waits for the first to come back: the fourth batch (rows 25 to
    /// 32) is one it had to wait for.
    static func readAhead(preparing preparation: RowPreparation) throws -> ReadAheadRows {
        let text = Self.records(200)
        let rows = try ReadAheadRows(file: "test.csv", rowsPerBatch: 8, preparation: preparation) {
            try Self.openDirect(text)
        }
        #expect(rows.waitUntilReaderIsAhead())
        return rows
    }

    /// Calls `body` with the number (from 1) of each readable row with a value in `field`, and
    /// that value; returns the number of rows.
    static func eachRow(
        _ rows: ReadAheadRows, with field: Int, _ body: (Int, UnsafeRawBufferPointer) -> Void
    ) throws -> Int {
        var row = 0
        while try rows.next() {
            row += 1
            guard rows.problem == nil, let value = rows.value(field) else { continue }
            body(row, value)
        }
        return row
    }

    @Test("a step meant for when the reader is ahead is done only in batches it had to wait for")
    func stepsOnlyWhenAhead() throws {
        var preparation = RowPreparation(fieldCount: Dataset.serviceRecords.fields.count)
        preparation.set(ServiceRecordField.startedAt, .timestamp, onlyWhenAhead: true)
        let rows = try Self.readAhead(preparing: preparation)
        var preparedRows = 0
        let count = try Self.eachRow(rows, with: ServiceRecordField.startedAt) { row, started in
            let value = rows.fields.prepared(ServiceRecordField.startedAt)
            if row <= 24 {
                #expect(value == nil, "row \(row) is in one of the first three batches")
            } else if row <= 32 {
                #expect(value == Timestamp(parsing: started)?.secondsSinceEpoch, "row \(row)")
            }
            if let value {
                #expect(value == Timestamp(parsing: started)?.secondsSinceEpoch)
                preparedRows += 1
            }
        }
        #expect(count == 200)
        #expect(preparedRows >= 7)
    }

    @Test("a key looked up on the reading thread, once it is ahead, finds what the table holds")
    func lookupsWhenAhead() throws {
        let table = ByteKeyTable(seed: 11)
        for number in 0..<7 {
            var key = "V\(number)"
            key.withUTF8 { _ = table.update(number == 3 ? -1 : Int32(number * 10), for: UnsafeRawBufferPointer($0)) }
        }
        var preparation = RowPreparation(fieldCount: Dataset.serviceRecords.fields.count)
        preparation.set(ServiceRecordField.volunteerID, .keyHash(seed: table.hashSeed))
        preparation.lookUp(ServiceRecordField.volunteerID, in: table.slotView)
        let rows = try Self.readAhead(preparing: preparation)
        var resolvedRows = 0
        let count = try Self.eachRow(rows, with: ServiceRecordField.volunteerID) { row, volunteer in
            guard let resolved = rows.fields.resolved else {
                #expect(row <= 24 || row > 32, "row \(row) is in the fourth batch, which the reader waited for")
                return
            }
            let expected = table.value(for: volunteer).map(Int64.init) ?? RowPreparation.notFound
            #expect(resolved == expected, "row \(row)")
            resolvedRows += 1
        }
        #expect(count == 200)
        #expect(resolvedRows >= 8)
        withExtendedLifetime(table) {}
    }

    @Test("an error part-way comes after the rows read before it, and the file's open errors at once")
    func errors() throws {
        let text = Self.records(300)
        let rows = try ReadAheadRows(file: "test.csv", rowsPerBatch: 16) {
            try CanonicalRowReader(
                reader: CSVReader(source: FailingByteSource(Array(text.utf8)), name: "test.csv"),
                mapping: FieldMapping(dataset: .serviceRecords), pseudonymiser: nil)
        }
        var count = 0
        #expect {
            while try rows.next() { count += 1 }
        } throws: { error in
            "\(error)".contains("the disk went away")
        }
        #expect(count == 300)
        #expect {
            _ = try ReadAheadRows(file: "empty.csv") { try Self.openDirect("") }
        } throws: { error in
            "\(error)".contains("no header row")
        }
    }

    @Test("a record reader read ahead gives the same records, values and present slots")
    func recordReader() throws {
        var xml = "<export>\n"
        for index in 0..<500 {
            xml +=
                "<record id=\"R\(index)\" note=\"a &amp; b\"><vid> V\(index) </vid><hours>\(index % 7)</hours></record>\n"
        }
        xml += "</export>\n"
        let bytes = Array(xml.utf8)
        @Sendable func open() throws -> any RecordReader {
            try XMLRecordReader(
                source: MemoryByteSource(bytes), name: "t.xml", recordElement: "record", fields: nil)
        }
        func records(_ reader: any RecordReader) throws -> [String] {
            var result: [String] = []
            while try reader.next() {
                result.append(
                    "\(reader.line):"
                        + reader.presentSlots.map { slot in
                            reader.fieldNames[slot] + "=" + String(decoding: reader.value(at: slot)!, as: UTF8.self)
                        }.joined(separator: ","))
            }
            return result
        }
        let expected = try records(open())
        #expect(expected.count == 500)
        #expect(expected[3] == "5:@id=R3,@note=a & b,vid=V3,hours=3")
        let ahead = try ReadAheadRecordReader(name: "t.xml", recordsPerBatch: 7) { try open() }
        #expect(try records(ahead) == expected)
    }
}

@Suite("HMAC-SHA256")
struct HMACSHA256Tests {
    @Test("person keys equal swift-crypto's HMAC-SHA256, for short and long secrets", arguments: [16, 64, 65, 200])
    func matchesSwiftCrypto(secretLength: Int) {
        let secret = (0..<secretLength).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let pseudonymiser = Pseudonymiser(secret: secret)
        // Up to 55 bytes a message takes the one-block path; 56 and more the general one.
        let lengths = [1, 15, 54, 55, 56, 63, 64, 100]
        for message in ["", "36010219900101123X"] + lengths.map({ String(repeating: "9", count: $0) }) {
            let expected = Array(
                HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: secret)))
            let key = Array(message.utf8).withUnsafeBytes { pseudonymiser.personKey($0) }
            var high: UInt64 = 0
            var low: UInt64 = 0
            for index in 0..<8 {
                high = high << 8 | UInt64(expected[index])
                low = low << 8 | UInt64(expected[8 + index])
            }
            #expect(key == PersonKey(high: high, low: low))
        }
    }
}

@Suite("row count estimate")
struct EstimateTests {
    @Test("a plain file's row count is estimated from its first batch; a gzip file's is not")
    func estimate() throws {
        let text = ReadAheadTests.records(20_000)
        let bytes = Array(text.utf8)
        let rows = try ReadAheadRows(file: "test.csv", fileBytes: bytes.count, rowsPerBatch: 1_000) {
            try CanonicalRowReader(
                reader: CSVReader(source: MemoryByteSource(bytes), name: "test.csv", offsetsAreExact: true),
                mapping: FieldMapping(dataset: .serviceRecords), pseudonymiser: nil)
        }
        #expect(try rows.next())
        let estimate = try #require(rows.estimatedRows)
        #expect(abs(estimate - 20_000) < 1_000)
        let inexact = try ReadAheadRows(file: "test.csv", fileBytes: bytes.count, rowsPerBatch: 1_000) {
            try ReadAheadTests.openDirect(text)
        }
        #expect(try inexact.next())
        #expect(inexact.estimatedRows == nil)
    }
}

@Suite("input digest while reading")
struct InputDigestTests {
    @Test("the digest of a file read to its end equals its SHA-256; a file read part-way has none")
    func digest() throws {
        let workdir = try Workdir()
        let text = ReadAheadTests.records(5_000)
        let path = try workdir.write("records.csv", text)
        let expected = SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
        let whole = InputDigest()
        let reader = try RecordReaders.open(path: path, format: .csv, encoding: .auto, digest: whole)
        #expect(whole.sha256 == nil)
        while try reader.next() {}
        #expect(whole.sha256 == expected)
        let partial = InputDigest()
        let started = try RecordReaders.open(path: path, format: .csv, encoding: .utf8, digest: partial)
        #expect(try started.next())
        #expect(partial.sha256 == nil)
    }
}

@Suite("person keys left for later")
struct PendingPersonKeyTests {
    static let pseudonymiser = Pseudonymiser(secret: Array("a secret of more than sixteen bytes".utf8))

    /// A valid 18-character number: region 360102, a birth day of 2000 from the `index`, sequence
    /// from the `index`, and its check character.
    static func number(_ index: Int) -> String {
        let body =
            "360102" + "2000" + String(format: "%02d%02d", index % 12 + 1, index % 28 + 1)
            + String(format: "%03d", index % 1000)
        let check = Array(body.utf8).withUnsafeBytes { ResidentIdentityNumber.checkCharacter($0) }
        return body + String(UnicodeScalar(check))
    }

    @Test("a number left pending gets the key a check at once gives; a number with a problem leaves none pending")
    func pendingKeyIsTheSame() throws {
        let numbers = [
            "11010519491231002X", "11010519491231002x", "110105491231002", "110105194912310021", "12345",
            Self.number(7),
        ]
        for number in numbers {
            let raw = Array(number.utf8)
            let now = raw.withUnsafeBytes { Self.pseudonymiser.check($0, legacy: .convert) }
            var pending: PendingPersonKey?
            let later = raw.withUnsafeBytes {
                Self.pseudonymiser.check($0, legacy: .convert, verify: true, deferKey: true, pending: &pending)
            }
            if now.problem == nil {
                #expect(now.personKey != nil)
                #expect(later.personKey == nil && later.problem == nil)
                #expect(later.birthDate == now.birthDate && later.upgradedLegacy == now.upgradedLegacy)
                let left = try #require(pending)
                #expect(Self.pseudonymiser.personKey(of: left) == now.personKey)
            } else {
                #expect(pending == nil)
                #expect(later == now)
            }
        }
        var pending: PendingPersonKey?
        let unverified = Array("anything".utf8).withUnsafeBytes {
            Self.pseudonymiser.check($0, legacy: .convert, verify: false, deferKey: true, pending: &pending)
        }
        #expect(pending == nil && unverified.personKey != nil)
    }

    /// 20,000 volunteers, a few with a number that fails its check, as CSV text.
    static let volunteers: String = {
        var text = "source_id,id_number,gender,region_code,registered_at\n"
        for index in 0..<20_000 {
            let number = index % 997 == 5 ? "360102200001010010" : Self.number(index)
            text += "V\(index),\(number),F,360102,2022-01-01\n"
        }
        return text
    }()

    static func openVolunteers() throws -> CanonicalRowReader {
        try CanonicalRowReader(
            reader: CSVReader(source: MemoryByteSource(Array(Self.volunteers.utf8)), name: "v.csv"),
            mapping: FieldMapping(dataset: .volunteers), pseudonymiser: Self.pseudonymiser)
    }

    @Test("another field mapped to the identity number's column is refused, with or without value mappings")
    func identityColumnSharedIsRefused() throws {
        for values in [[:], ["gender": ["女": "F"]]] {
            let mapping = FieldMapping(dataset: .volunteers, names: ["org_id": "id_number"], values: values)
            #expect {
                try CanonicalRowReader(
                    reader: CSVReader(source: MemoryByteSource(Array(Self.volunteers.utf8)), name: "v.csv"),
                    mapping: mapping, pseudonymiser: Self.pseudonymiser)
            } throws: { error in
                let message = (error as? MappingError)?.message ?? ""
                return message.contains("org_id would be read from column 'id_number'")
            }
        }
    }

    @Test(
        "read ahead, rows whose key the reading thread left get the same identity checks as read directly",
        arguments: [0, 3, 8])
    func readAheadKeysMatch(eighthsLeft: Int) throws {
        let direct = try Self.openVolunteers()
        var expected: [IdentityCheck?] = []
        while try direct.next() { expected.append(direct.identity) }
        let rows = try ReadAheadRows(
            file: "v.csv", fileBytes: nil, rowsPerBatch: 256, preparation: nil,
            personKeyShare: PersonKeyShare(fixed: eighthsLeft)
        ) { try Self.openVolunteers() }
        #expect(rows.identity == nil)
        var found: [IdentityCheck?] = []
        var ahead: [Int: IdentityCheck?] = [:]
        while try rows.next() {
            if let check = rows.identityAhead(3) { ahead[found.count + 3] = check }
            found.append(rows.identity)
        }
        #expect(rows.identity == nil)
        #expect(found.count == 20_000)
        #expect(found == expected)
        #expect(ahead.count > 19_000 && ahead.allSatisfy { row, check in expected[row] == check })
        let valid = expected.filter { $0?.problem == nil }.count
        #expect(valid < 20_000)
        // Rows whose number is valid and whose place in their batch is in the share left.
        let left = (0..<20_000).filter { ($0 % 256) & 7 < eighthsLeft && expected[$0]?.problem == nil }.count
        #expect(rows.personKeysComputedHere == left)
        #expect((eighthsLeft == 0) == (left == 0))
    }

    @Test("the share left moves an eighth per batch, towards the thread that waits, between none and all")
    func shareFollowsTheWaits() {
        var share = PersonKeyShare()
        #expect(share.eighths == 0)
        let consumerWaited = BatchState(readerIsAhead: false, consumerWaited: true)
        let readerWaited = BatchState(readerIsAhead: true, consumerWaited: true)
        share.adjust(to: readerWaited)
        #expect(share.eighths == 0)
        for _ in 0..<10 { share.adjust(to: consumerWaited) }
        #expect(share.eighths == 8)
        #expect((0..<8).allSatisfy { share.defers(row: $0) })
        share.adjust(to: readerWaited)
        share.adjust(to: BatchState())
        #expect(share.eighths == 7)
        #expect(!share.defers(row: 7) && share.defers(row: 6) && !share.defers(row: 15))
        var fixed = PersonKeyShare(fixed: 3)
        fixed.adjust(to: consumerWaited)
        fixed.adjust(to: readerWaited)
        #expect(fixed.eighths == 3)
    }

    @Test("a pending number shows no digit when printed or dumped")
    func pendingNumberIsRedacted() throws {
        var pending: PendingPersonKey?
        _ = Array(Self.number(3).utf8).withUnsafeBytes {
            Self.pseudonymiser.check($0, legacy: .convert, verify: true, deferKey: true, pending: &pending)
        }
        let left = try #require(pending)
        var dumped = ""
        dump(left, to: &dumped)
        for text in [String(describing: left), String(reflecting: left), dumped] {
            #expect(!text.contains { $0.isNumber })
        }
    }
}
