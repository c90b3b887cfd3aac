import ArgumentParser
import Foundation
import VolstatPipeline

/// `volstat runs`: the run history from the ledger.
struct Runs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the run history of an output folder: status per stage, rows, rejects, exit code.")

    @Option(help: "Only the runs of this pipeline (its name).")
    var pipeline: String?

    @Option(help: "How many runs, newest first.")
    var last: Int = 20

    @Option(help: "The output folder whose ledger to read (OUT/.volstat/ledger.sqlite).")
    var out: String = "out"

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        guard last >= 1 else { throw ValidationError("--last must be at least 1, not \(last)") }
    }

    func run() throws {
        try FailureReporting.run {
            let root = URL(fileURLWithPath: out)
            guard FileManager.default.fileExists(atPath: root.appendingPathComponent(".volstat/ledger.sqlite").path)
            else {
                throw UsageError("no run ledger under \(out)/.volstat: no run has written to --out \(out) yet")
            }
            let entries = try RunLedger(outputRoot: root).history(pipeline: pipeline, last: last)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(entries), as: UTF8.self))
                return 0
            }
            let header = [
                "run", "pipeline", "as_of", "status", "exit", "started", "stages i/v/a/p", "read", "rejected", "note",
            ]
            var rows: [[String]] = []
            for entry in entries {
                let stages = ["ingest", "validate", "aggregate", "publish"].map { short(entry.stages[$0] ?? "") }
                    .joined(separator: "/")
                let note =
                    entry.reusedRun.map { "reused run \($0)" } ?? (entry.status == "failed" ? entry.message ?? "" : "")
                rows.append([
                    String(entry.id), entry.pipeline, entry.asOf, entry.status, entry.exitCode.map(String.init) ?? "-",
                    entry.startedAt, stages, String(entry.rowsRead), String(entry.rowsRejected),
                    String(note.prefix(60)),
                ])
            }
            print(Self.render([header] + rows))
            return 0
        }
    }

    private func short(_ status: String) -> String {
        switch status {
        case "done": return "ok"
        case "running": return "run"
        case "failed": return "FAIL"
        case "reused": return "re"
        default: return "-"
        }
    }

    static func render(_ rows: [[String]]) -> String {
        let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}
