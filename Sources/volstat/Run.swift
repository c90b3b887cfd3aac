import ArgumentParser
import Foundation
import Logging
import VolstatCore
import VolstatPipeline
import VolstatValidate

typealias ValidationReportThreshold = ValidationReport.Threshold

/// `volstat run`: one pipeline file through ingest, validate, aggregate and publish.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a pipeline: ingest, validate, aggregate and publish one day's exports.",
        discussion: """
            The report is written to OUT/NAME/AS_OF/ (tables/*.csv.gz, figures.md, validation.json, \
            rejects/*.csv.gz, manifest.json), first into a staging folder that then replaces the \
            previous report of the same day in one move. Identity numbers are pseudonymised with \
            HMAC-SHA256 under the secret in VOLSTAT_KEY (or the file named by VOLSTAT_KEY_FILE).
            Exit codes: 0 success; 1 the data failed the validation thresholds (the report is still \
            written); 2 usage or configuration error; 3 input or output error.
            """
    )

    @Argument(help: "The pipeline file (YAML), e.g. pipelines/jiangxi.yaml.")
    var pipeline: String

    @Option(
        name: .customLong("as-of"),
        help: "The day the statistics are as of (YYYY-MM-DD or yesterday); overrides the file's as_of.")
    var asOf: String?

    @Option(help: "The folder reports are written under (its .volstat/ holds the run ledger).")
    var out: String = "out"

    @Flag(help: "Redo the run even if the pipeline file and inputs are unchanged since the last successful run.")
    var force = false

    @Flag(help: "Start from the first stage that did not finish in the last failed run of the same inputs.")
    var resume = false

    @Option(name: .customLong("log-format"), help: "text or json (default: text on a terminal, json otherwise).")
    var logFormat: String?

    func run() throws {
        try FailureReporting.run {
            let format: LogFormat
            if let logFormat {
                guard let parsed = LogFormat(rawValue: logFormat) else {
                    throw UsageError("--log-format must be text or json, not '\(logFormat)'")
                }
                format = parsed
            } else {
                format = .automatic
            }
            let logger = LoggingSetup.logger(format: format, label: "volstat.run")
            let config = try PipelineLoader.load(path: pipeline)
            let today = Today.date()
            let day: CivilDate
            if asOf == "yesterday" {
                day = PipelineConfig.AsOf.yesterday.resolve(today: today)
            } else if let asOf {
                guard let parsed = CivilDate(asOf) else {
                    throw UsageError("--as-of must be a date YYYY-MM-DD or yesterday, not '\(asOf)'")
                }
                day = parsed
            } else {
                day = config.asOf.resolve(today: today)
            }
            let secret = try PseudonymisationKey.load()
            var request = PipelineRun.Request(
                config: config, asOf: day, outputRoot: URL(fileURLWithPath: out), secret: secret, today: today)
            request.force = force
            request.resume = resume
            if format == .text { ProgressLine.shared.enable() }
            let result = try PipelineRun(request, logger: logger) { file, bytes, total, rows in
                ProgressLine.shared.update(file: file, bytes: bytes, total: total, rows: rows)
            }.execute()
            ProgressLine.shared.clear()
            RunSummary.print(result, pipeline: config.name, asOf: day, logger: logger)
            return result.exitCode
        }
    }
}

/// The secret for pseudonymising identity numbers, from the environment, never the pipeline file.
enum PseudonymisationKey {
    static func load() throws -> [UInt8] {
        let environment = ProcessInfo.processInfo.environment
        var secret: [UInt8]
        if let value = environment["VOLSTAT_KEY"], !value.isEmpty {
            secret = Array(value.utf8)
        } else if let path = environment["VOLSTAT_KEY_FILE"], !path.isEmpty {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw UsageError("VOLSTAT_KEY_FILE names '\(path)', which cannot be read")
            }
            secret = Array(data)
            while let last = secret.last, last == 0x0A || last == 0x0D { secret.removeLast() }
        } else {
            throw UsageError(
                "no pseudonymisation key: set VOLSTAT_KEY to a secret of at least 16 characters, or VOLSTAT_KEY_FILE to a file holding one (e.g. `head -c 32 /dev/urandom | base64 > volstat.key`)"
            )
        }
        guard secret.count >= 16 else {
            throw UsageError("the pseudonymisation key is \(secret.count) bytes; use at least 16")
        }
        return secret
    }
}

/// The short summary a run prints at its end.
enum RunSummary {
    static func print(_ result: PipelineRun.Result, pipeline: String, asOf: CivilDate, logger: Logger) {
        if let reused = result.reusedRun {
            logger.info("\(pipeline) \(asOf): unchanged since run \(reused); report: \(result.reportFolder.path)")
            return
        }
        let rate = result.rowsRead == 0 ? 0 : Double(result.rowsRejected) / Double(result.rowsRead) * 100
        var lines: [String] = []
        if let resumed = result.resumedRun {
            lines.append("\(pipeline) \(asOf): resumed run \(resumed) at the publish stage")
        } else {
            lines.append(
                "\(pipeline) \(asOf): \(result.rowsRead) rows read, \(result.rowsAccepted) accepted, \(result.rowsRejected) rejected (\(String(format: "%.2f", rate))%)"
            )
        }
        for (rule, count) in result.rejectedByRule.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(rule): \(count)")
        }
        for (path, error) in result.unreadableFiles {
            lines.append("  unreadable: " + (error.hasPrefix(path) ? error : "\(path): \(error)"))
        }
        for line in lines { logger.info("\(line)") }
        for threshold in result.thresholds where !threshold.passed {
            logger.error("validation failed: \(describe(threshold))")
        }
        if !result.driftAlerts.isEmpty {
            logger.warning(
                "drift: \(result.driftAlerts.count) change\(result.driftAlerts.count == 1 ? "" : "s") beyond the limits; see drift.json"
            )
        }
        logger.info("report: \(result.reportFolder.path) (run \(result.run))")
    }

    static func describe(_ threshold: ValidationReportThreshold) -> String {
        if threshold.subject == "unreadable_files" {
            return
                "\(threshold.count) file\(threshold.count == 1 ? "" : "s") could not be read (at most \(Int(threshold.limit)) allowed)"
        }
        let what = threshold.subject == "overall" ? "all rules together" : "rule \(threshold.subject)"
        let measured = threshold.measured * 100
        let limit = threshold.limit * 100
        return
            "\(what) rejected \(String(format: "%.2f", measured))% of rows (\(threshold.count)), above the limit of \(String(format: "%.2f", limit))% by \(String(format: "%.2f", measured - limit)) points"
    }
}
