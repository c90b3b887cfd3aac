import Foundation
import Testing
import VolstatTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A `volstat` process running in the background, whose standard error can be watched.
final class BackgroundVolstat {
    let process = Process()
    private let errorPipe = Pipe()
    private(set) var standardError = ""

    init(_ arguments: [String], environment: [String: String]) throws {
        process.executableURL = volstatBinary()
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        process.currentDirectoryURL = RepositoryPaths.root
        process.standardError = errorPipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    /// Reads standard error until `marker` appears (true) or the process ends or time runs out (false).
    func waitFor(_ marker: String, seconds: Double = 60) -> Bool {
        let handle = errorPipe.fileHandleForReading
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if standardError.contains(marker) { return true }
            let data = handle.availableData
            if data.isEmpty { return standardError.contains(marker) }
            standardError += String(decoding: data, as: UTF8.self)
        }
        return false
    }

    func kill() {
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func finish() -> Int32 {
        _ = waitFor("\u{0}never", seconds: 120)
        process.waitUntilExit()
        return process.terminationStatus
    }
}

@Suite("nightly operations", .serialized)
struct OperationsTests {
    /// The files of the Jiangxi report of a run that nothing disturbed.
    func undisturbedReport() throws -> [String: Data] {
        let undisturbed = try Workdir()
        let result = try volstat(["run", "pipelines/jiangxi.yaml", "--out", undisturbed.path], environment: testKey)
        #expect(result.status == 0)
        return try filesUnder(undisturbed.url.appendingPathComponent("jiangxi/2022-12-31"))
    }

    func runs(_ out: String) throws -> [[String: Any]] {
        let result = try volstat(["runs", "--out", out, "--json"])
        let data = Data(result.standardOutput.utf8)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
    }

    @Test("two runs in a row: the second reuses the first's report; runs shows both")
    func reuse() throws {
        let workdir = try Workdir()
        let first = try volstat(["run", "pipelines/jiangxi.yaml", "--out", workdir.path], environment: testKey)
        let second = try volstat(["run", "pipelines/jiangxi.yaml", "--out", workdir.path], environment: testKey)
        #expect(first.status == 0 && second.status == 0)
        #expect(second.standardError.contains("unchanged since run 1: its report is reused"))
        let history = try runs(workdir.path)
        #expect(history.map { $0["status"] as? String } == ["reused", "succeeded"])
        #expect(history.first?["reused_run"] as? Int == 1)
        let table = try volstat(["runs", "--out", workdir.path])
        #expect(table.standardOutput.contains("reused run 1"))
        let forced = try volstat(
            ["run", "pipelines/jiangxi.yaml", "--out", workdir.path, "--force"], environment: testKey)
        #expect(forced.status == 0 && !forced.standardError.contains("reused"))
    }

    @Test(
        "kill -9 inside each stage, then a rerun: the report is byte-identical to an undisturbed run's",
        arguments: ["ingest", "validate", "aggregate", "publish"])
    func killed(stage: String) throws {
        let undisturbed = try Workdir()
        #expect(
            try volstat(["run", "pipelines/jiangxi.yaml", "--out", undisturbed.path], environment: testKey).status == 0)
        let expected = try filesUnder(undisturbed.url.appendingPathComponent("jiangxi/2022-12-31"))

        let workdir = try Workdir()
        var slow = testKey
        slow["VOLSTAT_STAGE_DELAY_MS"] = "60000"
        slow["VOLSTAT_STAGE_DELAY_AT"] = stage
        let victim = try BackgroundVolstat(
            ["run", "pipelines/jiangxi.yaml", "--out", workdir.path, "--log-format", "text"], environment: slow)
        #expect(victim.waitFor("test pause after \(stage)"))
        victim.kill()
        let report = workdir.url.appendingPathComponent("jiangxi/2022-12-31")
        #expect(!FileManager.default.fileExists(atPath: report.path), "a killed first run leaves no report at all")

        let rerun = try volstat(["run", "pipelines/jiangxi.yaml", "--out", workdir.path], environment: testKey)
        #expect(rerun.status == 0, "\(rerun.standardError)")
        #expect(try filesUnder(report) == expected)
        let history = try runs(workdir.path)
        #expect(history.map { $0["status"] as? String } == ["succeeded", "failed"])
        #expect((history.last?["message"] as? String)?.contains("killed") == true)
        let leftovers = try FileManager.default.contentsOfDirectory(
            atPath: workdir.url.appendingPathComponent("jiangxi").path)
        #expect(leftovers.allSatisfy { !$0.contains("staging") })
    }

    @Test("kill -9 while publishing over an earlier report leaves the earlier report whole")
    func killedOverPrevious() throws {
        let workdir = try Workdir()
        #expect(
            try volstat(["run", "pipelines/jiangxi.yaml", "--out", workdir.path], environment: testKey).status == 0)
        let report = workdir.url.appendingPathComponent("jiangxi/2022-12-31")
        let before = try filesUnder(report)
        var slow = testKey
        slow["VOLSTAT_STAGE_DELAY_MS"] = "60000"
        slow["VOLSTAT_STAGE_DELAY_AT"] = "publish"
        let victim = try BackgroundVolstat(
            ["run", "pipelines/jiangxi.yaml", "--out", workdir.path, "--force", "--log-format", "text"],
            environment: slow)
        #expect(victim.waitFor("test pause after publish"))
        victim.kill()
        #expect(try filesUnder(report) == before)
    }

    @Test("--resume after a failure publishes the saved output of the stages that finished")
    func resume() throws {
        let workdir = try Workdir()
        var slow = testKey
        slow["VOLSTAT_STAGE_DELAY_MS"] = "60000"
        slow["VOLSTAT_STAGE_DELAY_AT"] = "aggregate"
        let victim = try BackgroundVolstat(
            ["run", "pipelines/jiangxi.yaml", "--out", workdir.path, "--log-format", "text"], environment: slow)
        #expect(victim.waitFor("test pause after aggregate"))
        victim.kill()
        let resumed = try volstat(
            ["run", "pipelines/jiangxi.yaml", "--out", workdir.path, "--resume"], environment: testKey)
        #expect(resumed.status == 0)
        #expect(resumed.standardError.contains("resuming run 1"))
        #expect(try filesUnder(workdir.url.appendingPathComponent("jiangxi/2022-12-31")) == (try undisturbedReport()))
        let stages = try runs(workdir.path).first?["stages"] as? [String: String]
        #expect(stages == ["ingest": "reused", "validate": "reused", "aggregate": "reused", "publish": "done"])
    }

    @Test("a second run of the same pipeline while one runs exits 3 with the lock message")
    func concurrent() throws {
        let workdir = try Workdir()
        var slow = testKey
        slow["VOLSTAT_STAGE_DELAY_MS"] = "3000"
        let first = try BackgroundVolstat(
            ["run", "pipelines/jiangxi.yaml", "--out", workdir.path, "--log-format", "text"], environment: slow)
        #expect(first.waitFor("test pause after ingest"))
        let second = try volstat(["run", "pipelines/jiangxi.yaml", "--out", workdir.path], environment: testKey)
        #expect(second.status == 3)
        #expect(
            second.standardError.hasPrefix(
                "volstat: error: pipeline 'jiangxi' is already running (pid \(first.process.processIdentifier)"))
        #expect(first.finish() == 0)
        #expect(try filesUnder(workdir.url.appendingPathComponent("jiangxi/2022-12-31")) == (try undisturbedReport()))
    }

    @Test(
        "a day's export with 30 % fewer rows than yesterday's raises the drift warning; fail: true exits 1",
        arguments: [false, true])
    func drift(fail: Bool) throws {
        let workdir = try Workdir()
        var rows = ["source_id,id_number,region_code,registered_at"]
        for index in 0..<100 {
            rows.append("V\(index),\(identityNumber(sequence: index)),360102,2022-01-0\(index % 9 + 1)")
        }
        try workdir.write("day1/volunteers.csv", rows.joined(separator: "\n") + "\n")
        try workdir.write("day2/volunteers.csv", rows.prefix(71).joined(separator: "\n") + "\n")
        for day in ["day1", "day2"] {
            let pipeline = try workdir.write(
                "p.yaml",
                """
                name: nightly
                as_of: 2022-12-\(day == "day1" ? "30" : "31")
                sources:
                  - dataset: volunteers
                    path: \(workdir.path)/\(day)/volunteers.csv
                drift: {fail: \(fail)}

                """)
            let result = try volstat(
                ["run", pipeline, "--out", workdir.path + "/out", "--log-format", "text"], environment: testKey)
            if day == "day1" {
                #expect(result.status == 0)
                #expect(!result.standardError.contains("drift"))
            } else {
                #expect(result.status == (fail ? 1 : 0))
                #expect(
                    result.standardError.contains(
                        "volstat: warning: drift: rows of sources[0] went from 100 to 70 (-30.0%) since run 1"))
                #expect(
                    result.standardError.contains(
                        "volstat: warning: drift: registered of 360000 went from 100 to 70 (-30.0%)"))
                let drift =
                    try JSONSerialization.jsonObject(
                        with: Data(contentsOf: workdir.url.appendingPathComponent("out/nightly/2022-12-31/drift.json")))
                    as? [String: Any]
                let checks = drift?["checks"] as? [[String: Any]] ?? []
                let alerts = checks.filter { ($0["within_limits"] as? Bool) == false }.compactMap { check in
                    (check["measure"] as? String).map { "\($0) \(check["subject"] as? String ?? "")" }
                }
                #expect(alerts.sorted() == ["registered 000000", "registered 360000", "rows sources[0]"])
            }
        }
    }

    @Test("scripts/nightly keeps the newest reports, points latest at the newest and logs JSON Lines")
    func nightly() throws {
        let workdir = try Workdir()
        let script = RepositoryPaths.root.appendingPathComponent("scripts/nightly")
        for day in ["2022-12-29", "2022-12-30", "2022-12-31"] {
            let result = try command(
                script,
                [
                    "pipelines/jiangxi.yaml", "--out", workdir.path, "--keep", "2", "--as-of", day, "--volstat",
                    volstatBinary().path,
                ], environment: testKey)
            #expect(result.status == 0, "\(result.standardError)")
        }
        let folder = workdir.url.appendingPathComponent("jiangxi")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }
        #expect(names.sorted() == ["2022-12-30", "2022-12-31", "latest", "nightly.log"])
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: folder.appendingPathComponent("latest").path)
                == "2022-12-31")
        let log = try String(contentsOf: folder.appendingPathComponent("nightly.log"), encoding: .utf8)
        let lines = log.split(separator: "\n")
        #expect(lines.count >= 3)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] != nil && object?["message"] != nil)
        }
        let bad = try command(script, ["pipelines/jiangxi.yaml", "--keep", "none"])
        #expect(bad.status == 2)
        #expect(bad.standardError.contains("--keep must be a whole number, not 'none'"))
    }

    @Test("a changed population table or a damaged report is not reused; the manifest lists the population table")
    func reuseNeedsEverythingUnchanged() throws {
        let workdir = try Workdir()
        var rows = ["source_id,id_number,region_code,registered_at"]
        for index in 0..<10 { rows.append("V\(index),\(identityNumber(sequence: index)),360102,2022-03-01") }
        try workdir.write("in/volunteers.csv", rows.joined(separator: "\n") + "\n")
        let population = try workdir.write("in/population.csv", "region_code,population\n360000,100\n")
        let pipeline = try workdir.write(
            "p.yaml",
            """
            name: small
            as_of: 2022-12-31
            sources:
              - dataset: volunteers
                path: \(workdir.path)/in/volunteers.csv
            population: \(population)

            """)
        let out = workdir.path + "/out"
        let report = workdir.url.appendingPathComponent("out/small/2022-12-31")
        func run() throws -> CommandResult {
            let result = try volstat(["run", pipeline, "--out", out, "--log-format", "text"], environment: testKey)
            #expect(result.status == 0, "\(result.standardError)")
            return result
        }
        _ = try run()
        #expect(try run().standardError.contains("its report is reused"))
        let manifest = try String(contentsOf: report.appendingPathComponent("manifest.json"), encoding: .utf8)
        #expect(manifest.contains(population))

        try workdir.write("in/population.csv", "region_code,population\n360000,200\n")
        #expect(!(try run().standardError.contains("reused")))
        let table = try gunzipText(report.appendingPathComponent("tables/by_region.csv.gz"))
        #expect(table.contains("\n360000,江西省,province,10,10,") && table.contains(",0.050000\n"))

        #expect(try run().standardError.contains("its report is reused"))
        try FileManager.default.removeItem(at: report.appendingPathComponent("tables/by_region.csv.gz"))
        #expect(!(try run().standardError.contains("reused")))
        #expect(FileManager.default.fileExists(atPath: report.appendingPathComponent("tables/by_region.csv.gz").path))
        try workdir.write("out/small/2022-12-31/figures.md", "edited by hand\n")
        #expect(!(try run().standardError.contains("reused")))
    }

    @Test("a closed standard error does not stop a run half-way")
    func closedStandardError() throws {
        let workdir = try Workdir()
        let process = Process()
        process.executableURL = volstatBinary()
        process.arguments = ["run", "pipelines/jiangxi.yaml", "--out", workdir.path, "--log-format", "text"]
        process.environment = ProcessInfo.processInfo.environment.merging(testKey) { $1 }
        process.currentDirectoryURL = RepositoryPaths.root
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        try pipe.fileHandleForReading.close()
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let manifest = workdir.url.appendingPathComponent("jiangxi/2022-12-31/manifest.json")
        #expect(FileManager.default.fileExists(atPath: manifest.path))
    }

    @Test("drift: a province that disappears drops to 0; a pipeline without volunteers still compares its rows")
    func driftCoverage() throws {
        let workdir = try Workdir()
        var rows = ["source_id,id_number,region_code,registered_at"]
        for index in 0..<20 {
            rows.append("V\(index),\(identityNumber(sequence: index)),\(index < 10 ? "360102" : "110101"),2022-03-01")
        }
        try workdir.write("day1/v.csv", rows.joined(separator: "\n") + "\n")
        try workdir.write("day2/v.csv", rows.prefix(11).joined(separator: "\n") + "\n")
        for day in ["day1", "day2"] {
            let pipeline = try workdir.write(
                "p.yaml",
                "name: shrinking\nas_of: 2022-12-31\nsources:\n  - dataset: volunteers\n    path: \(workdir.path)/\(day)/v.csv\n"
            )
            let result = try volstat(
                ["run", pipeline, "--out", workdir.path + "/out", "--log-format", "text"], environment: testKey)
            #expect(result.status == 0)
            if day == "day2" {
                #expect(
                    result.standardError.contains(
                        "volstat: warning: drift: registered of 110000 went from 10 to 0 (-100.0%)"))
            }
        }
        let western = try Workdir()
        for _ in 0..<2 {
            let result = try volstat(
                ["run", "pipelines/western.yaml", "--out", western.path, "--force", "--log-format", "text"],
                environment: testKey)
            #expect(result.status == 0)
        }
        let drift = try JSONSerialization.jsonObject(
            with: Data(contentsOf: western.url.appendingPathComponent("western/2022-12-31/drift.json")))
        let checks = (drift as? [String: Any])?["checks"] as? [[String: Any]] ?? []
        #expect(
            checks.map { "\($0["measure"] ?? "") \($0["subject"] ?? "") \($0["current"] ?? "")" } == [
                "rows sources[0] 22000"
            ])
    }
}
