import Foundation
import Testing
import VolstatCompression
import VolstatTestSupport

@Suite("volstat run")
struct RunCommandTests {
    @Test("the Jiangxi sample gives the reference implementation's by_region table, figures and manifest")
    func jiangxiSample() throws {
        let workdir = try Workdir()
        let result = try volstat(["run", "pipelines/jiangxi.yaml", "--out", workdir.path], environment: testKey)
        #expect(result.status == 0, "\(result.standardError)")
        let report = workdir.url.appendingPathComponent("jiangxi/2022-12-31")
        let table = try gunzipText(report.appendingPathComponent("tables/by_region.csv.gz"))
        #expect(
            table.hasPrefix(
                "region_code,region_name,level,registered,new_registrations,party_members,party_member_share,political_status_unknown,total_hours,hours_per_capita,active,activity_rate,registered_share_of_population\n000000,全国,national,"
            ))
        #expect(table == (try referenceTable(pipeline: "pipelines/jiangxi.yaml", asOf: "2022-12-31")))
        let figures = try String(contentsOf: report.appendingPathComponent("figures.md"), encoding: .utf8)
        #expect(figures.contains("| 党员占比 | 21.9% |"))
        #expect(figures.contains("| 占常住人口比例 | 15.6% |"))
        let manifest =
            try JSONSerialization.jsonObject(with: Data(contentsOf: report.appendingPathComponent("manifest.json")))
            as? [String: Any]
        let outputs = (manifest?["outputs"] as? [[String: Any]])?.compactMap { $0["path"] as? String }
        #expect(
            outputs == [
                "figures.md", "tables/by_region.csv.gz", "tables/group_shares.csv.gz",
                "tables/retention_by_cohort.csv.gz",
                "validation.json",
            ])
        #expect(result.standardError.contains("report: \(report.path)"))
    }

    /// Jiangxi: GB18030 volunteers with value mappings, XML service records; Chongqing: CSV
    /// service records read straight from the reader's buffer.
    @Test(
        "with validation off a clean sample gives the same by_region table as with every rule on",
        arguments: ["jiangxi", "chongqing"])
    func validationOff(name: String) throws {
        let workdir = try Workdir()
        let text = try String(contentsOfFile: "pipelines/\(name).yaml", encoding: .utf8)
        let unvalidated = text.replacingOccurrences(
            of: "validate: {max_reject_rate: 0.02}", with: "validate: {enabled: false}")
        try #require(unvalidated != text)
        let pipeline = workdir.url.appendingPathComponent("\(name)-unvalidated.yaml")
        try unvalidated.write(to: pipeline, atomically: true, encoding: .utf8)
        let result = try volstat(["run", pipeline.path, "--out", workdir.path], environment: testKey)
        #expect(result.status == 0, "\(result.standardError)")
        let asOf = try #require(
            text.split(separator: "\n").first { $0.hasPrefix("as_of:") }?.split(separator: " ").last.map(String.init))
        let table = try gunzipText(workdir.url.appendingPathComponent("\(name)/\(asOf)/tables/by_region.csv.gz"))
        #expect(table == (try referenceTable(pipeline: "pipelines/\(name).yaml", asOf: asOf)))
    }

    @Test("the same inputs twice give byte-identical tables and manifest")
    func reproducible() throws {
        let first = try Workdir()
        let second = try Workdir()
        for folder in [first, second, first] {
            let result = try volstat(["run", "pipelines/jiangxi.yaml", "--out", folder.path], environment: testKey)
            #expect(result.status == 0)
        }
        let a = try filesUnder(first.url.appendingPathComponent("jiangxi/2022-12-31"))
        let b = try filesUnder(second.url.appendingPathComponent("jiangxi/2022-12-31"))
        #expect(a.keys.sorted() == b.keys.sorted())
        #expect(a == b)
        let leftovers = try FileManager.default.contentsOfDirectory(
            atPath: first.url.appendingPathComponent("jiangxi").path)
        #expect(leftovers.sorted() == [".lock", "2022-12-31"])
    }

    @Test("no identity number of the input appears anywhere under the output folder")
    func noIdentityNumbers() throws {
        let workdir = try Workdir()
        let result = try volstat(["run", "pipelines/jiangxi.yaml", "--out", workdir.path], environment: testKey)
        #expect(result.status == 0)
        let extract = try volstat(["extract", "sample-data/jiangxi/volunteers-2022.csv"])
        let numbers = extract.standardOutput.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: "\"身份证号\":\"") else { return nil }
            return String(line[range.upperBound...].prefix(18))
        }
        let expected = try JSONSerialization.jsonObject(
            with: Data(contentsOf: RepositoryPaths.root.appendingPathComponent("sample-data/jiangxi/expected.json")))
        let files = (expected as? [String: Any])?["files"] as? [String: [String: Any]]
        #expect(numbers.count == files?["volunteers-2022.csv"]?["rows"] as? Int)
        #expect(numbers.count > 1000)
        var texts: [String] = [result.standardOutput, result.standardError]
        for (path, data) in try filesUnder(workdir.url) {
            texts.append(
                path.hasSuffix(".gz")
                    ? String(decoding: try Gunzip.decompress([UInt8](data)), as: UTF8.self)
                    : String(decoding: data, as: UTF8.self))
        }
        let everything = texts.joined(separator: "\n")
        let leaked = numbers.filter { everything.contains($0) || everything.contains($0.prefix(17)) }
        #expect(leaked.isEmpty)
    }

    @Test("without a key the run stops with a clear message and exit 2")
    func missingKey() throws {
        let workdir = try Workdir()
        let result = try volstat(
            ["run", "pipelines/jiangxi.yaml", "--out", workdir.path],
            environment: ["VOLSTAT_KEY": "", "VOLSTAT_KEY_FILE": ""])
        #expect(result.status == 2)
        #expect(result.standardError.hasPrefix("volstat: error: no pseudonymisation key: set VOLSTAT_KEY"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: workdir.path).isEmpty)
    }
}
