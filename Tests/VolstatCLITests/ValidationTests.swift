import Foundation
import Testing
import VolstatCompression
import VolstatTestSupport

/// A dirty export with a known number of each fault: the counts per rule, the reject files and
/// the statistics of the clean rows must come out exactly.
@Suite("validation of a dirty export")
struct ValidationTests {
    static let header = "编号,身份证,区划,注册日期,出生日期\n"

    /// The clean rows, and the dirty ones with the rule each must trigger.
    struct Export {
        var cleanVolunteers: [String] = []
        var dirtyVolunteers: [(row: String, rule: String)] = []
        var cleanRecords: [String] = []
        var dirtyRecords: [(row: String, rule: String)] = []
        var identityNumbers: [String] = []
    }

    static func makeExport() -> Export {
        var export = Export()
        func id(_ index: Int, born: String = "19900101", region: String = "360102") -> String {
            let number = identityNumber(region: region, born: born, sequence: index)
            export.identityNumbers.append(number)
            return number
        }
        for index in 0..<50 {
            let region = ["360102", "360103", "360111"][index % 3]
            export.cleanVolunteers.append("C\(index),\(id(index)),\(region),2022-0\(index % 9 + 1)-10,")
        }
        // Retired code mapped to its successor, and a legacy 15-digit number: both accepted.
        export.cleanVolunteers.append("C50,\(id(50)),360122,2022-05-05,")
        export.cleanVolunteers.append("C51,360102850505051,360111,2022-05-05,")
        export.identityNumbers.append("360102850505051")
        func wrongCheck(_ index: Int) -> String {
            let good = id(index)
            let last = good.last == "0" ? "1" : "0"
            return String(good.dropLast()) + last
        }
        export.dirtyVolunteers += [
            ("D1,\(wrongCheck(101)),360102,2022-01-01,", "id_number.check_digit"),
            ("D2,\(wrongCheck(102)),360102,2022-01-01,", "id_number.check_digit"),
            ("D3,\(wrongCheck(103)),360102,2022-01-01,", "id_number.check_digit"),
            ("D4,\(id(104)),369999,2022-01-01,", "region_code.unknown"),
            ("D5,\(id(105)),360199,2022-01-01,", "region_code.unknown"),
            ("D6,\(id(106)),360102,2030-01-01,", "date.future"),
            ("D7,\(id(107)),360102,2031/2/3,", "date.future"),
            ("D8,\(id(108)),360102,2022-02-30,", "date.format"),
            ("C1,\(id(109)),360102,2022-01-01,", "record.duplicate"),
            ("C2,\(id(110)),360102,2022-01-01,", "record.duplicate"),
            ("D11,\(export.identityNumbers[3]),360102,2022-01-01,", "person.duplicate"),
            ("D12,\(id(112, born: "20150101")),360102,2022-01-01,", "birth_date.age_out_of_range"),
            ("D13,\(id(113)),360102,2022-01-01,extra,field", "row.ragged"),
            ("D14,\(id(114)),36010,2022-01-01,", "region_code.format"),
            ("D15,,360102,2022-01-01,", "field.missing"),
        ]
        for index in 0..<120 {
            let day = String(format: "2022-%02d-%02d", index % 12 + 1, index % 28 + 1)
            let verified = index % 10 == 0 ? "0" : "1"
            export.cleanRecords.append(
                "  <r id=\"S\(index)\" v=\"C\(index % 52)\"><start>\(day) 08:00</start><end>\(day) 18:00</end><h>\(index % 8 + 1).5</h><ok>\(verified)</ok></r>"
            )
        }
        func record(
            _ id: String, _ volunteer: String, hours: String, start: String = "2022-06-01 08:00",
            end: String = "2022-06-01 20:00"
        ) -> String {
            "  <r id=\"\(id)\" v=\"\(volunteer)\"><start>\(start)</start><end>\(end)</end><h>\(hours)</h><ok>1</ok></r>"
        }
        export.dirtyRecords += [
            (record("X1", "C1", hours: "0"), "hours.out_of_range"),
            (record("X2", "C1", hours: "30"), "hours.out_of_range"),
            (record("X3", "C1", hours: "abc"), "hours.format"),
            (record("X4", "C1", hours: "9", start: "2022-06-01 08:00", end: "2022-06-01 10:00"), "hours.exceeds_span"),
            (record("S1", "C1", hours: "2"), "record.duplicate"),
            (record("S2", "C1", hours: "2"), "record.duplicate"),
            (record("X7", "NOBODY1", hours: "2"), "reference.unknown_volunteer"),
            (record("X8", "NOBODY2", hours: "2"), "reference.unknown_volunteer"),
            (record("X9", "NOBODY3", hours: "2"), "reference.unknown_volunteer"),
            (record("X10", "D1", hours: "2"), "reference.rejected_volunteer"),
            (record("X11", "C1", hours: "2", start: "2022-06-01 08:00", end: "2022-05-01 10:00"), "date.order"),
        ]
        return export
    }

    func write(
        _ workdir: Workdir, name: String, volunteers: [String], records: [String], validate: String
    ) throws -> String {
        let folder = "\(workdir.path)/\(name)"
        try workdir.write("\(name)/volunteers.csv", Self.header + volunteers.joined(separator: "\n") + "\n")
        try workdir.write(
            "\(name)/service.xml",
            "<?xml version=\"1.0\"?>\n<export>\n" + records.joined(separator: "\n") + "\n</export>\n")
        return try workdir.write(
            "\(name).yaml",
            """
            name: \(name)
            as_of: 2022-12-31
            sources:
              - dataset: volunteers
                path: \(folder)/volunteers.csv
                columns: {source_id: 编号, id_number: 身份证, region_code: 区划, registered_at: 注册日期, birth_date: 出生日期}
              - dataset: service_records
                path: \(folder)/service.xml
                record: r
                fields: {record_id: "@id", volunteer_id: "@v", started_at: start, ended_at: end, hours: h, verified: ok}
            validate:
              retired_regions: {"360122": "360112"}
            \(validate)

            """)
    }

    @Test("exact counts per rule, the same rows in the reject files, statistics from the clean rows only")
    func dirtyExport() throws {
        let export = Self.makeExport()
        let workdir = try Workdir()
        let dirty = try write(
            workdir, name: "dirty", volunteers: export.cleanVolunteers + export.dirtyVolunteers.map(\.row),
            records: export.cleanRecords + export.dirtyRecords.map(\.row), validate: "  max_reject_rate: 0.5")
        let clean = try write(
            workdir, name: "clean", volunteers: export.cleanVolunteers, records: export.cleanRecords, validate: "")
        let result = try volstat(["run", dirty, "--out", workdir.path + "/out"], environment: testKey)
        #expect(result.status == 0, "\(result.standardError)")
        let report = workdir.url.appendingPathComponent("out/dirty/2022-12-31")

        var expected: [String: Int] = [:]
        for (_, rule) in export.dirtyVolunteers + export.dirtyRecords { expected[rule, default: 0] += 1 }
        let validation = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: report.appendingPathComponent("validation.json")))
                as? [String: Any])
        let totals = try #require(validation["totals"] as? [String: Any])
        #expect(totals["rejected_by_rule"] as? [String: Int] == expected)
        #expect(totals["rows_rejected"] as? Int == export.dirtyVolunteers.count + export.dirtyRecords.count)
        #expect(totals["rows_accepted"] as? Int == export.cleanVolunteers.count + export.cleanRecords.count)
        #expect(validation["passed"] as? Bool == true)

        var rejected: [String: Int] = [:]
        for name in ["volunteers", "service_records"] {
            let text = try gunzipText(report.appendingPathComponent("rejects/\(name).csv.gz"))
            let lines = text.split(separator: "\n").dropFirst()
            for line in lines {
                let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                rejected[String(fields[4]), default: 0] += 1
                // A bad identity number reaches the reject file masked (the last field, its value).
                if fields[4].hasPrefix("id_number.") { #expect(fields.last?.contains("*") == true, "\(line)") }
            }
            #expect(text.hasPrefix("file,line,column,field,rule,message,value\n"))
        }
        #expect(rejected == expected)

        let cleanResult = try volstat(["run", clean, "--out", workdir.path + "/out"], environment: testKey)
        #expect(cleanResult.status == 0)
        let dirtyTable = try gunzipText(report.appendingPathComponent("tables/by_region.csv.gz"))
        let cleanTable = try gunzipText(
            workdir.url.appendingPathComponent("out/clean/2022-12-31/tables/by_region.csv.gz"))
        // The dirty export's rejected volunteers add their regions to the table only through
        // rows that were rejected, which must not appear: the tables are identical.
        #expect(dirtyTable == cleanTable)

        var everything = result.standardError
        for (path, data) in try filesUnder(workdir.url.appendingPathComponent("out")) {
            everything +=
                path.hasSuffix(".gz")
                ? String(decoding: try Gunzip.decompress([UInt8](data)), as: UTF8.self)
                : String(decoding: data, as: UTF8.self)
        }
        #expect(export.identityNumbers.filter { everything.contains($0) }.isEmpty)
    }

    @Test("a threshold exceeded exits 1 naming the rule; the report is still written")
    func thresholds() throws {
        let export = Self.makeExport()
        let workdir = try Workdir()
        let pipeline = try write(
            workdir, name: "strict", volunteers: export.cleanVolunteers + export.dirtyVolunteers.map(\.row),
            records: export.cleanRecords,
            validate: "  max_reject_rate: {overall: 0.5, rules: {id_number.check_digit: 0.01}}")
        let result = try volstat(["run", pipeline, "--out", workdir.path + "/out"], environment: testKey)
        #expect(result.status == 1)
        #expect(
            result.standardError.contains(
                "validation failed: rule id_number.check_digit rejected 1.60% of rows (3), above the limit of 1.00% by 0.60 points"
            ))
        #expect(FileManager.default.fileExists(atPath: workdir.path + "/out/strict/2022-12-31/tables/by_region.csv.gz"))
    }

    @Test("a file that cannot be read is one error for that file; the other files count")
    func unreadableFile() throws {
        let export = Self.makeExport()
        let workdir = try Workdir()
        let pipeline = try write(
            workdir, name: "broken", volunteers: export.cleanVolunteers, records: export.cleanRecords, validate: "")
        let whole = try GzipWriter.compress(
            Array((Self.header + "Z1,\(identityNumber(sequence: 900)),360102,2022-01-01,\n").utf8))
        try workdir.write("broken/volunteers.csv", bytes: Array(whole.prefix(whole.count - 6)))
        try workdir.write("broken/more.csv", Self.header + export.cleanVolunteers.joined(separator: "\n") + "\n")
        let text = try String(contentsOfFile: pipeline, encoding: .utf8).replacingOccurrences(
            of: "/broken/volunteers.csv", with: "/broken/*.csv")
        try text.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let result = try volstat(["run", pipeline, "--out", workdir.path + "/out"], environment: testKey)
        #expect(result.status == 1)
        #expect(result.standardError.contains("validation failed: 1 file could not be read (at most 0 allowed)"))
        #expect(result.standardError.contains("volunteers.csv: the gzip stream is truncated"))
        let table = try gunzipText(workdir.url.appendingPathComponent("out/broken/2022-12-31/tables/by_region.csv.gz"))
        #expect(table.contains("\n000000,全国,national,52,"))
    }

    @Test(
        "a service records file that fails part-way adds no hours, whether it is the first to be read (written through, then cleared) or comes after another (held back)"
    )
    func recordsFileFailingPartWay() throws {
        let export = Self.makeExport()
        let workdir = try Workdir()
        // 200 records of 8 hours for the clean volunteers, then the file breaks off mid-element.
        let broken =
            "<?xml version=\"1.0\"?>\n<export>\n"
            + (0..<200).map { index in
                let day = String(format: "2022-%02d-%02d", index % 12 + 1, index % 28 + 1)
                return
                    "  <r id=\"B\(index)\" v=\"C\(index % 52)\"><start>\(day) 08:00</start><end>\(day) 18:00</end><h>8</h><ok>1</ok></r>"
            }.joined(separator: "\n") + "\n  <r id=\"B200\" v=\"C1\"><start>2022-"
        /// Every table of the report, decompressed, by file name.
        func tables(_ name: String, brokenFile: String?) throws -> [String: String] {
            let pipeline = try write(
                workdir, name: name, volunteers: export.cleanVolunteers, records: export.cleanRecords,
                validate: "  max_unreadable_files: 1")
            if let brokenFile {
                try workdir.write("\(name)/\(brokenFile)", broken)
                let text = try String(contentsOfFile: pipeline, encoding: .utf8).replacingOccurrences(
                    of: "/\(name)/service.xml", with: "/\(name)/*.xml")
                try text.write(toFile: pipeline, atomically: true, encoding: .utf8)
            }
            let result = try volstat(["run", pipeline, "--out", workdir.path + "/out"], environment: testKey)
            #expect(result.status == 0, "\(result.standardError)")
            if let brokenFile { #expect(result.standardError.contains(brokenFile)) }
            let folder = workdir.url.appendingPathComponent("out/\(name)/2022-12-31/tables")
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            return try Dictionary(
                uniqueKeysWithValues: names.map { ($0, try gunzipText(folder.appendingPathComponent($0))) })
        }
        let clean = try tables("clean", brokenFile: nil)
        #expect(clean["by_region.csv.gz"]?.contains("\n000000,") == true)
        #expect(clean["retention_by_cohort.csv.gz"] != nil)
        // The broken file's 200 records (8 hours each, all in the period) would show in the hours,
        // the activity and the retention tables.
        #expect(try tables("first", brokenFile: "a-broken.xml") == clean)
        #expect(try tables("last", brokenFile: "z-broken.xml") == clean)
    }

    @Test("an unreadable file allowed by max_unreadable_files: exit 0, its rows out of the totals, one reject line")
    func unreadableFileAllowed() throws {
        let export = Self.makeExport()
        let workdir = try Workdir()
        let pipeline = try write(
            workdir, name: "allowed", volunteers: export.cleanVolunteers, records: export.cleanRecords,
            validate: "  max_reject_rate: 0.01\n  max_unreadable_files: 1")
        let rows = Self.header + export.cleanVolunteers.joined(separator: "\n") + "\n"
        let whole = try GzipWriter.compress(Array(rows.utf8))
        try workdir.write("allowed/volunteers.csv", rows)
        try workdir.write("allowed/zz-truncated.csv", bytes: Array(whole.prefix(whole.count - 6)))
        try workdir.write("allowed/empty.csv", "")
        let text = try String(contentsOfFile: pipeline, encoding: .utf8).replacingOccurrences(
            of: "/allowed/volunteers.csv", with: "/allowed/*.csv")
        try text.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let result = try volstat(["run", pipeline, "--out", workdir.path + "/out"], environment: testKey)
        #expect(result.status == 1, "two unreadable files, one allowed")
        #expect(result.standardError.contains("validation failed: 2 files could not be read (at most 1 allowed)"))
        #expect(result.standardError.contains("empty.csv: the file is empty: it has no header row"))

        try FileManager.default.removeItem(atPath: workdir.path + "/allowed/empty.csv")
        let allowed = try volstat(["run", pipeline, "--out", workdir.path + "/out"], environment: testKey)
        #expect(allowed.status == 0, "\(allowed.standardError)")
        let report = workdir.url.appendingPathComponent("out/allowed/2022-12-31")
        let validation = try JSONSerialization.jsonObject(
            with: Data(contentsOf: report.appendingPathComponent("validation.json")))
        let totals = (validation as? [String: Any])?["totals"] as? [String: Any]
        #expect(totals?["rows_rejected"] as? Int == 0)
        #expect(totals?["unreadable_files"] as? Int == 1)
        #expect((totals?["rejected_by_rule"] as? [String: Int])?.isEmpty == true)
        let rejects = try gunzipText(report.appendingPathComponent("rejects/volunteers.csv.gz"))
        #expect(rejects.split(separator: "\n").filter { $0.contains(",file.unreadable,") }.count == 1)
    }
}
