import Foundation
import Testing
import VolstatCompression
import VolstatCore
import VolstatTestSupport

@testable import VolstatIngest

@Suite("CSV files mapped into memory and read where they lie")
struct MappedFileTests {
    /// Records of service records over several 4 MiB windows: a quoted value with doubled quotes
    /// across each window boundary, and one record of 5 MiB that covers a whole window.
    static func largeRecords() -> String {
        var text = ReadAheadTests.header
        var index = 0
        while text.utf8.count < 14 << 20 {
            let near = text.utf8.count % MappedFile.windowSize > MappedFile.windowSize - 200
            let volunteer = near ? "\"V\"\"\(index)\"\"\"" : "V\(index % 13)"
            text += "R\(index),\(volunteer),A1,O1,360102,2022-03-0\(index % 9 + 1) 08:00,,\(index % 5).5,1\n"
            if index == 60_000 {
                text += "R-long,V1,\(String(repeating: "a", count: 5 << 20)),O1,360102,2022-03-01 08:00,,1,1\n"
            }
            index += 1
        }
        return text
    }

    static func openMapped(_ path: String, digest: InputDigest? = nil) throws -> CanonicalRowReader {
        let reader = try RecordReaders.open(path: path, format: .csv, encoding: .auto, digest: digest, mayMap: true)
        #expect((reader as? CSVReader)?.readsInPlace == true)
        return try CanonicalRowReader(
            reader: reader, mapping: FieldMapping(dataset: .serviceRecords), pseudonymiser: nil)
    }

    @Test("the same rows through batches as a file read with read(), the same digest, and the file unchanged")
    func sameRowsAcrossWindows() throws {
        let workdir = try Workdir()
        let text = Self.largeRecords()
        let path = try workdir.write("records.csv", text)
        let direct = try ReadAheadTests.openDirect(text)
        let expected = try ReadAheadTests.rows(direct) { try direct.next() }
        let mappedDigest = InputDigest()
        let ahead = try ReadAheadRows(file: path, rowsPerBatch: 512) { try Self.openMapped(path, digest: mappedDigest) }
        #expect(try ReadAheadTests.rows(ahead) { try ahead.next() } == expected)
        #expect(expected.contains { $0.contains("|V\"") })
        #expect(expected.contains { $0.contains("R-long|V1|aaaa") })

        let readDigest = InputDigest()
        let read = try RecordReaders.open(path: path, format: .csv, encoding: .auto, digest: readDigest)
        #expect((read as? CSVReader)?.readsInPlace == false)
        while try read.next() {}
        #expect(mappedDigest.sha256 != nil)
        #expect(mappedDigest.sha256 == readDigest.sha256)
        #expect(try workdir.read("records.csv") == Array(text.utf8))
    }

    @Test("every csv-spectrum case reads as its expected JSON when mapped")
    func conformance() throws {
        let base = RepositoryPaths.csvSpectrum
        #expect(CSVSpectrumTests.cases.count >= 11)
        for name in CSVSpectrumTests.cases {
            let file = try #require(MappedFile(path: base.appendingPathComponent("csvs/\(name).csv").path, digest: nil))
            let reader = try CSVReader(mapped: file, name: name)
            let expectedData = try Data(contentsOf: base.appendingPathComponent("json/\(name).json"))
            let expected = try #require(try JSONSerialization.jsonObject(with: expectedData) as? [[String: String]])
            var rows: [[String: String]] = []
            while try reader.next() {
                #expect(reader.problem == nil, "\(name)")
                let values = reader.presentSlots.map { String(decoding: reader.value(at: $0)!, as: UTF8.self) }
                rows.append(Dictionary(uniqueKeysWithValues: zip(reader.fieldNames, values)))
            }
            #expect(rows == expected, "\(name)")
        }
    }

    @Test("gzip, GB18030, an empty file and a caller that writes into records are read with read()")
    func fallsBack() throws {
        let workdir = try Workdir()
        let text = "record_id,hours\nR1,1.5\n"
        let plain = try workdir.write("plain.csv", text)
        let gzip = try workdir.write("records.csv.gz", bytes: try GzipWriter.compress(Array(text.utf8)))
        let chinese = try workdir.write("chinese.csv", bytes: try GB18030.encode("编号,时长\n一,1.5\n"))
        let empty = try workdir.write("empty.csv", "")
        func inPlace(_ path: String, _ encoding: TextEncoding = .auto, mayMap: Bool = true) throws -> Bool? {
            let reader = try RecordReaders.open(path: path, format: .csv, encoding: encoding, mayMap: mayMap)
            return (reader as? CSVReader)?.readsInPlace
        }
        #expect(try inPlace(plain) == true)
        #expect(try inPlace(plain, .utf8) == true)
        #expect(try inPlace(plain, mayMap: false) == false)
        #expect(try inPlace(gzip) == false)
        #expect(try inPlace(chinese) == false)
        #expect(try inPlace(chinese, .gb18030) == false)
        #expect(try inPlace(empty) == false)
    }

    @Test("a file that shrinks while it is read is an input error naming it, not a crash")
    func shrinkingFile() throws {
        let workdir = try Workdir()
        let text = ReadAheadTests.records(20_000)
        let path = try workdir.write("records.csv", text)
        let reader = try RecordReaders.open(path: path, format: .csv, encoding: .auto, mayMap: true)
        // The first piece is lent (and its pages mapped) with the header; cut the file after it.
        #expect(truncate(path, 300 << 10) == 0)
        var rows = 0
        let error = #expect(throws: InputError.self) {
            while try reader.next() { rows += 1 }
        }
        #expect(error?.message.contains(path) == true)
        #expect(error?.message.contains("shrank") == true)
        #expect(rows > 1_000)
    }
}
