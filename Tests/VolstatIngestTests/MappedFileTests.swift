import Foundation
import Testing
import VolstatCompression
import VolstatCore
import VolstatTestSupport

@testable import VolstatIngest

@Suite("CSV files mapped into memory and read where they lie")
struct MappedFileTests {
    /// Records of service records over several 4 MiB windows: at each window boundary, a quoted
    /// value with doubled quotes that starts before it and ends after it; and one record of 5 MiB
    /// that covers a whole window.
    static func largeRecords() -> String {
        var text = ReadAheadTests.header
        var index = 0
        while text.utf8.count < 14 << 20 {
            let left = MappedFile.windowSize - text.utf8.count % MappedFile.windowSize
            var volunteer = "V\(index % 13)"
            if left > 100 && left < 300 {
                // The record starts with "R<index>," and the value with "V"": pad it past the boundary.
                let prefix = "R\(index),\"V\"\"".utf8.count
                volunteer = "\"V\"\"\(String(repeating: "x", count: left - prefix + 10))\"\"\""
            }
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
        // The boundary at 4 MiB lies in the long record, those at 8 and 12 MiB inside a quoted value.
        let bytes = Array(text.utf8)
        let window = MappedFile.windowSize
        #expect([bytes[window], bytes[2 * window], bytes[3 * window]] == Array("axx".utf8))
        #expect(expected.filter { $0.contains("|V\"xxxxxxxxxx") }.count == 2)
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
        #expect(CSVSpectrumTests.cases.count >= 11)
        for name in CSVSpectrumTests.cases {
            let file = try #require(MappedFile(path: CSVSpectrumTests.input(name), digest: nil))
            let result = try readCSV(CSVReader(mapped: file, name: name))
            #expect(result.problems.isEmpty, "\(name)")
            let rows = result.rows.map { Dictionary(uniqueKeysWithValues: zip(result.header, $0)) }
            #expect(rows == (try CSVSpectrumTests.expected(name)), "\(name)")
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

    /// Every record of a file through a reader: line, problem, values and offset.
    static func records(_ reader: CSVReader) throws -> [String] {
        var records = [reader.fieldNames.joined(separator: "|")]
        while try reader.next() {
            let values = reader.presentSlots.map { slot in
                reader.value(at: slot).map { String(decoding: $0, as: UTF8.self) } ?? "-"
            }
            let problem = reader.problem.map { String(describing: $0) } ?? "ok"
            records.append("\(reader.line) \(problem) \(values.joined(separator: "|")) @\(reader.offset ?? -1)")
        }
        records.append("end @\(reader.offset ?? -1) of \(reader.bytesConsumed)")
        return records
    }

    /// A record of `length` bytes (at least 12), line break included.
    static func record(_ index: Int, length: Int) -> String {
        let fixed = "R\(index),,\n"
        return "R\(index),\(String(repeating: "v", count: length - fixed.utf8.count)),\n"
    }

    static var edgeCases: [(name: String, bytes: [UInt8])] {
        let header = "id,value,note\n"
        var upToWindow = header
        while upToWindow.utf8.count < MappedFile.windowSize - 300 {
            upToWindow += record(upToWindow.utf8.count, length: 100)
        }
        upToWindow += record(0, length: MappedFile.windowSize - upToWindow.utf8.count)
        var invalid = Array((header + String(repeating: "R,a,b\n", count: 20_000)).utf8)
        invalid.replaceSubrange(100_003..<100_004, with: [0xFF])
        return [
            ("byte-order mark", [0xEF, 0xBB, 0xBF] + Array((header + "R1,a,b\r\nR2,\"c\"\"d\",e\n").utf8)),
            ("header only", Array(header.utf8)),
            ("header without a line break", Array("id,value,note".utf8)),
            ("no line break at the end", Array((header + "R1,a,b\nR2,c,d").utf8)),
            ("exactly one window", Array(upToWindow.utf8)),
            ("a record starting at the second window", Array((upToWindow + "R-next,x,y\nR-last,z,w\n").utf8)),
            ("invalid UTF-8 after the first 64 KiB", invalid),
            (
                "an unterminated quote in 9 MiB",
                Array((header + "R1,a,b\nR2,\"open,c\n" + String(repeating: "R,a,b\n", count: 1_600_000)).utf8)
            ),
        ]
    }

    @Test("files at the edges read the same mapped as with read(): lines, problems, values and offsets")
    func edgeCasesReadAlike() throws {
        let workdir = try Workdir()
        var mappedByName: [String: [String]] = [:]
        for (index, edge) in Self.edgeCases.enumerated() {
            let path = try workdir.write("edge-\(index).csv", bytes: edge.bytes)
            let file = try #require(MappedFile(path: path, digest: nil), "\(edge.name)")
            let mapped = try Self.records(CSVReader(mapped: file, name: path))
            let read = try Self.records(
                CSVReader(source: FileByteSource(path: path), name: path, offsetsAreExact: true))
            #expect(mapped == read, "\(edge.name)")
            #expect(mapped.last == "end @\(edge.bytes.count) of \(edge.bytes.count)", "\(edge.name)")
            mappedByName[edge.name] = mapped
        }
        let problems = try #require(mappedByName["invalid UTF-8 after the first 64 KiB"])
        #expect(problems.contains { $0.contains("invalidEncoding") })
        let unterminated = try #require(mappedByName["an unterminated quote in 9 MiB"])
        #expect(unterminated.count == 4)
        #expect(unterminated[2].hasPrefix("3 malformed"))
    }

    @Test("pages are dropped only once every window up to theirs is let go")
    func windowsDropped() throws {
        let workdir = try Workdir()
        let size = 3 * MappedFile.windowSize
        let path = try workdir.write("windows.csv", bytes: [UInt8](repeating: UInt8(ascii: "a"), count: size))
        let file = try #require(MappedFile(path: path, digest: nil))
        #expect(try file.lend(size) == size)
        var first: ByteChunk? = ByteChunk(window: 0, of: file)
        var second: ByteChunk? = ByteChunk(window: 1, of: file)
        // Written in place: the page is the process's own copy until it is dropped.
        second!.bytes[10] = UInt8(ascii: "b")
        first!.bytes[10] = UInt8(ascii: "c")
        second = nil
        #expect(file.bytes[MappedFile.windowSize + 10] == UInt8(ascii: "b"))
        #expect(file.bytes[10] == UInt8(ascii: "c"))
        first = nil
        #expect(file.bytes[MappedFile.windowSize + 10] == UInt8(ascii: "a"))
        #expect(file.bytes[10] == UInt8(ascii: "a"))
        #expect(first == nil && second == nil)
        #expect(try workdir.read("windows.csv").allSatisfy { $0 == UInt8(ascii: "a") })
    }

    @Test(
        "a file that shrinks while it is read is an input error naming it, not a crash",
        .enabled(if: MappedFile.populatesOnRequest, "the kernel maps pages in only as they are touched"))
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
