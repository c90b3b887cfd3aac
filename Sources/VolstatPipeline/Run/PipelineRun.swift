public import Foundation
public import Logging
import VolstatAggregate
public import VolstatCore
import VolstatIngest
import VolstatPublish
public import VolstatValidate

/// One run of a pipeline: ingest, validate, aggregate and publish, in that order, for one as_of.
///
/// Records stream through ingest, validate and aggregate one at a time (the three stages finish
/// together); only the registration store is held in memory. The aggregate stage's output, every
/// report file, is saved in the work folder (`OUT/.volstat/runs/ID/`), and publish writes it into
/// a staging folder exchanged with the report folder in one step. Every run is recorded in the
/// ledger; a run whose pipeline file and inputs are unchanged since the last successful run for
/// the same as_of reuses that run's report.
public final class PipelineRun {
    /// What the caller asks for.
    public struct Request: Sendable {
        public var config: PipelineConfig
        public var asOf: CivilDate
        public var outputRoot: URL
        public var secret: [UInt8]
        public var today: CivilDate
        /// Redo the run even when nothing changed.
        public var force = false
        /// Start from the first stage that did not finish in the last failed run.
        public var resume = false

        public init(config: PipelineConfig, asOf: CivilDate, outputRoot: URL, secret: [UInt8], today: CivilDate) {
            self.config = config
            self.asOf = asOf
            self.outputRoot = outputRoot
            self.secret = secret
            self.today = today
        }
    }

    /// What a finished run produced.
    public struct Result: Sendable {
        public var run: Int64
        /// The published report folder, `OUT/NAME/AS_OF`.
        public var reportFolder: URL
        /// The exit code: 0, or 1 when the data failed the validation thresholds or drift limits.
        public var exitCode: Int32
        /// The earlier run whose report was reused, or resumed.
        public var reusedRun: Int64?
        public var resumedRun: Int64?
        public var thresholds: [ValidationReport.Threshold]
        public var rowsRead: Int
        public var rowsAccepted: Int
        public var rowsRejected: Int
        public var rejectedByRule: [String: Int]
        public var unreadableFiles: [(path: String, error: String)]
        public var driftAlerts: [DriftReport.Check]
    }

    /// Receives progress while files are read: the file, bytes read of its size, rows so far.
    public typealias Progress = @Sendable (_ file: String, _ bytesRead: Int, _ bytesTotal: Int, _ rows: Int) -> Void

    private let request: Request
    private let logger: Logger
    private let progress: Progress?
    /// Test hook: `VOLSTAT_STAGE_DELAY_MS` pauses at every stage boundary (or only after the stage
    /// named by `VOLSTAT_STAGE_DELAY_AT`), so that a test can kill the process inside a given stage.
    private let stageDelay: UInt32
    private let stageDelayAt: String?

    public init(_ request: Request, logger: Logger, progress: Progress? = nil) {
        self.request = request
        self.logger = logger
        self.progress = progress
        let environment = ProcessInfo.processInfo.environment
        stageDelay = UInt32(environment["VOLSTAT_STAGE_DELAY_MS"] ?? "") ?? 0
        stageDelayAt = environment["VOLSTAT_STAGE_DELAY_AT"]
    }

    public func execute() throws -> Result {
        // What the report depends on besides the pipeline file: the inputs, the reference files,
        // the volstat binary itself and the day of the run (`date.future` is judged against it).
        // The binary's digest is found (or computed) on another thread while the run gets ready.
        let ledgerFolder = RunLedger.folder(in: request.outputRoot)
        let binaryDigest = BackgroundValue { BinaryDigest.sha256(cacheIn: ledgerFolder) }
        // A run that stops early still waits for it: it may be writing its cache.
        defer { _ = binaryDigest.value }
        let config = request.config
        let lock = try RunLock(folder: request.outputRoot.appendingPathComponent(config.name), pipeline: config.name)
        defer { withExtendedLifetime(lock) {} }
        ReportFolder.removeLeftovers(in: request.outputRoot.appendingPathComponent(config.name))
        let ledger = try RunLedger(outputRoot: request.outputRoot)
        try ledger.markAbandoned(pipeline: config.name)

        var inputs = try IngestStage.plan(config)
        let pipelineSHA256 = Digest.sha256([UInt8](FileManager.default.contents(atPath: config.file) ?? Data()))
        let references = try IngestStage.planReferences(config)
        // The inputs' digests decide reuse and resume; only then are they computed up front, in
        // a pass of their own. Otherwise (a forced run, or nothing to reuse) they are computed from
        // the bytes as the files are read, and the ledger has them once every file has been read.
        var inputsSHA256 = Self.pendingDigest
        let mayReuse =
            try !request.force
            && ledger.hasSuccess(pipeline: config.name, asOf: request.asOf.description, pipelineSHA256: pipelineSHA256)
        if request.resume || mayReuse {
            inputs = try IngestStage.withDigests(inputs)
            inputsSHA256 = IngestStage.inputsSHA256(
                inputs, references: references, binary: binaryDigest.value, today: request.today)
        }
        let asOf = request.asOf.description
        let publish = PublishStage(
            config: config, asOf: request.asOf, regions: try RegionTable.bundled(), outputRoot: request.outputRoot)

        if mayReuse,
            let previous = try ledger.lastSuccess(
                pipeline: config.name, asOf: asOf, pipelineSHA256: pipelineSHA256, inputsSHA256: inputsSHA256),
            let manifest = FileManager.default.contents(
                atPath: publish.finalFolder.appendingPathComponent("manifest.json").path),
            Digest.sha256([UInt8](manifest)) == previous.manifestSHA256,
            (try? JSONDecoder().decode(Manifest.self, from: manifest))?.describes(folder: publish.finalFolder) == true
        {
            let run = try ledger.begin(
                pipeline: config.name, asOf: asOf, pipelineSHA256: pipelineSHA256, inputsSHA256: inputsSHA256,
                inputs: inputs.map { ($0.path, $0.source.keyPath, $0.sha256, $0.bytes) })
            for stage in RunLedger.stages { try ledger.stage(run, stage, "reused") }
            let code = Int32(previous.exitCode ?? 0)
            try ledger.finish(
                run, status: "reused", exitCode: code, manifestSHA256: previous.manifestSHA256,
                report: publish.finalFolder.path,
                message:
                    "pipeline file and inputs unchanged since run \(previous.id); its report is reused (--force redoes it)",
                reusedRun: previous.id)
            logger.info("unchanged since run \(previous.id): its report is reused (--force redoes the run)")
            return Result(
                run: run, reportFolder: publish.finalFolder, exitCode: code, reusedRun: previous.id, resumedRun: nil,
                thresholds: [], rowsRead: previous.rowsRead, rowsAccepted: previous.rowsAccepted,
                rowsRejected: previous.rowsRejected, rejectedByRule: previous.rejectsByRule, unreadableFiles: [],
                driftAlerts: [])
        }

        let run = try ledger.begin(
            pipeline: config.name, asOf: asOf, pipelineSHA256: pipelineSHA256, inputsSHA256: inputsSHA256,
            inputs: inputs.map { ($0.path, $0.source.keyPath, $0.sha256, $0.bytes) })
        let work = request.outputRoot.appendingPathComponent(".volstat/runs/\(run)")
        do {
            var resumed: (run: Int64, content: ReportContent, exitCode: Int32)?
            if request.resume,
                let failed = try ledger.resumable(
                    pipeline: config.name, asOf: asOf, pipelineSHA256: pipelineSHA256, inputsSHA256: inputsSHA256),
                let content = ReportContent.load(
                    from: request.outputRoot.appendingPathComponent(".volstat/runs/\(failed.id)")),
                let code = try? Self.exitCode(of: content)
            {
                resumed = (failed.id, content, code)
                for stage in ["ingest", "validate", "aggregate"] { try ledger.stage(run, stage, "reused") }
                logger.info(
                    "resuming run \(failed.id): ingest, validate and aggregate finished there; publishing its output")
            } else if request.resume {
                logger.info(
                    "nothing to resume (no failed run with the same pipeline file and inputs got past aggregate); running every stage"
                )
            }

            var outcome: Outcome
            if let resumed {
                try resumed.content.save(to: work)
                outcome = Outcome(content: resumed.content, exitCode: resumed.exitCode, report: nil, drift: nil)
                try ledger.copyResults(from: resumed.run, to: run)
            } else {
                outcome = try ingestValidateAggregate(
                    run: run, inputs: inputs, references: references, ledger: ledger, publish: publish,
                    binary: inputsSHA256 == Self.pendingDigest ? binaryDigest : nil)
                try outcome.content.save(to: work)
            }
            try ledger.stage(run, "aggregate", resumed == nil ? "done" : "reused")
            pause("aggregate", ledger)

            try ledger.stage(run, "publish", "running")
            logger.info("stage publish: writing \(publish.finalFolder.path)")
            let folder = try publish.publish(outcome.content) { pause("publish", ledger) }
            try ledger.stage(run, "publish", "done")
            let manifestSHA256 = Digest.sha256(outcome.content.bytes(of: "manifest.json") ?? [])
            try ledger.finish(
                run, status: outcome.exitCode == 0 ? "succeeded" : "data_failed", exitCode: outcome.exitCode,
                manifestSHA256: manifestSHA256, report: folder.path, message: resumed.map { "resumed run \($0.run)" })
            try? FileManager.default.removeItem(at: work)
            let report = outcome.report
            return Result(
                run: run, reportFolder: folder, exitCode: outcome.exitCode, reusedRun: nil, resumedRun: resumed?.run,
                thresholds: report?.thresholds ?? [], rowsRead: report?.rowsRead ?? 0,
                rowsAccepted: report?.rowsAccepted ?? 0, rowsRejected: report?.rowsRejected ?? 0,
                rejectedByRule: report?.rejectedByRule ?? [:],
                unreadableFiles: report?.files.compactMap { file in file.error.map { (file.path, $0) } } ?? [],
                driftAlerts: outcome.drift?.alerts ?? [])
        } catch {
            for stage in RunLedger.stages { try? ledger.failStage(run, stage) }
            try? ledger.finish(
                run, status: "failed", exitCode: Self.code(for: error), manifestSHA256: nil, report: nil,
                message: "\(error)")
            throw error
        }
    }

    /// What the streaming stages produced.
    struct Outcome {
        var content: ReportContent
        var exitCode: Int32
        var report: ValidationReport?
        var drift: DriftReport?
    }

    /// Ingest, validate and aggregate in one streaming pass, then render the report's files.
    ///
    /// - Parameter binary: set when the inputs' digests are computed while reading (the binary's
    ///   digest goes into the inputs' digest): they are recorded in the ledger once every file
    ///   has been read, before the aggregate stage is marked done (which is what resume looks for).
    private func ingestValidateAggregate(
        run: Int64, inputs: [IngestStage.Input], references: [Manifest.FileEntry], ledger: RunLedger,
        publish: PublishStage, binary: BackgroundValue<String>?
    ) throws -> Outcome {
        var inputs = inputs
        let config = request.config
        for stage in ["ingest", "validate", "aggregate"] { try ledger.stage(run, stage, "running") }
        logger.info(
            "stage ingest+validate+aggregate: \(inputs.count) file\(inputs.count == 1 ? "" : "s") of \(config.sources.count) source\(config.sources.count == 1 ? "" : "s")"
        )
        pause("ingest", ledger)
        let regions = publish.regions
        let population = try config.population.map { try PopulationTable.load($0, pipelineFile: config.file) } ?? [:]
        let report = ValidationReport()
        let pseudonymiser = Pseudonymiser(secret: request.secret)
        let seed = Array("volstat record-id fingerprints".utf8).withUnsafeBytes { pseudonymiser.personKey($0).low }
        let validator = Validator(
            policy: config.validation, regions: regions, today: request.today, report: report, rejects: RejectSink(),
            seed: seed)
        var aggregate = AggregateStage(asOf: request.asOf)
        var ingest = IngestStage(
            pseudonymiser: pseudonymiser, policy: config.validation, pipelineFile: config.file, progress: progress)
        ingest.reserveAhead(inputs, validator: validator, aggregate: &aggregate)
        for (ordinal, input) in inputs.enumerated() {
            inputs[ordinal].sha256 = try ingest.read(
                input, ordinal: Int32(ordinal), validator: validator, aggregate: &aggregate, report: report)
            let counts = report.files.last!
            let unreadable = counts.error.map { "; unreadable: \($0)" } ?? ""
            logger.info(
                "validate: \(input.path): \(counts.rowsRead) rows, \(counts.rowsAccepted) accepted, \(counts.rowsRejected) rejected\(unreadable)"
            )
        }
        let rejects = validator.rejects
        if let binary {
            try ledger.setInputs(
                run,
                inputsSHA256: IngestStage.inputsSHA256(
                    inputs, references: references, binary: binary.value, today: request.today),
                inputs: inputs.map { ($0.path, $0.source.keyPath, $0.sha256, $0.bytes) })
            report.setDigests(inputs.map(\.sha256))
        }
        try ledger.stage(run, "ingest", "done")
        try ledger.stage(run, "validate", "done")
        try ledger.counts(
            run, files: report.files.map { ($0.path, $0.rowsRead, $0.rowsAccepted, $0.rowsRejected) },
            rejectsByRule: report.rejectedByRule)
        pause("validate", ledger)
        report.evaluate(config.validation)

        let (statistics, retention) = try aggregate.rollUp(
            partyStatuses: config.partyStatuses, population: population)
        logger.info("stage aggregate: \(aggregate.store.personCount) persons, \(statistics.count) regions")
        // The national and provincial figures drift compares and the ledger keeps (volunteers only).
        let regionFigures =
            aggregate.datasets.contains(.volunteers)
            ? statistics.filter { $0.level == .national || $0.level == .province }.map {
                RunLedger.RegionFigure(
                    code: $0.code, registered: $0.registered, totalHundredths: $0.totalHours.hundredths)
            } : nil
        var drift: DriftReport?
        if let previous = try ledger.previousPublished(pipeline: config.name, before: run) {
            var rowsBySource: [String: Int] = [:]
            for (input, file) in zip(inputs, report.files) {
                rowsBySource[input.source.keyPath, default: 0] += file.rowsRead
            }
            drift = DriftReport.compare(
                policy: config.drift, previous: previous.entry, previousRegions: previous.regions,
                rowsBySource: rowsBySource, currentRegions: regionFigures)
            for alert in drift!.alerts {
                logger.warning(
                    "drift: \(alert.measure) of \(alert.subject) went from \(alert.previous) to \(alert.current) (\(Self.percent(alert.change))) since run \(previous.entry.id) (\(previous.entry.asOf))"
                )
            }
        }
        if let regionFigures { try ledger.figures(run, regionFigures) }
        // The validator's tables are done with: unmapping them (10 ms at 1 x, ten times that at
        // 10 x) runs on another thread while the report is written, when the second core has
        // time (beside the roll-up, it held up one of its halves).
        releaseInBackground(consume validator)
        let content = try publish.content(
            aggregate: aggregate, statistics: statistics, retention: retention, report: report,
            rejects: rejects, drift: drift,
            inputs: inputs, references: references,
            stageRows: stageRows(report: report, aggregate: aggregate, regions: statistics.count))
        let driftFails = config.drift.fail && !(drift?.alerts.isEmpty ?? true)
        releaseInBackground(consume aggregate)
        return Outcome(content: content, exitCode: report.passed && !driftFails ? 0 : 1, report: report, drift: drift)
    }

    /// The exit code a saved report stands for (validation and drift as recorded in it).
    static func exitCode(of content: ReportContent) throws -> Int32 {
        struct Passed: Decodable { var passed: Bool }
        struct Drift: Decodable {
            struct Check: Decodable {
                var withinLimits: Bool
                enum CodingKeys: String, CodingKey { case withinLimits = "within_limits" }
            }
            var failsRun: Bool
            var checks: [Check]
            enum CodingKeys: String, CodingKey {
                case checks
                case failsRun = "fails_run"
            }
        }
        let validation = try JSONDecoder().decode(Passed.self, from: Data(content.bytes(of: "validation.json") ?? []))
        var failed = !validation.passed
        if let bytes = content.bytes(of: "drift.json") {
            let drift = try JSONDecoder().decode(Drift.self, from: Data(bytes))
            failed = failed || (drift.failsRun && drift.checks.contains { !$0.withinLimits })
        }
        return failed ? 1 : 0
    }

    /// What the ledger holds as the inputs' digest until the files have been read.
    static let pendingDigest = "pending"

    static func percent(_ change: Double?) -> String {
        guard let change else { return "new" }
        return String(format: "%+.1f%%", change * 100)
    }

    static func code(for error: any Error) -> Int32 {
        guard let failure = error as? any VolstatFailure else { return 3 }
        return failure.kind == .usage ? 2 : 3
    }

    /// Pauses for tests that stop the run here; what the ledger has been given is written first.
    private func pause(_ stage: String, _ ledger: RunLedger) {
        guard stageDelay > 0, stageDelayAt == nil || stageDelayAt == stage else { return }
        ledger.waitForBackgroundWrites()
        logger.info("test pause after \(stage): \(stageDelay) ms")
        usleep(stageDelay * 1000)
    }

    private func stageRows(report: ValidationReport, aggregate: AggregateStage, regions: Int) -> Manifest.StageCounts {
        var read: [String: Int] = [:]
        var accepted: [String: Int] = [:]
        var rejected: [String: Int] = [:]
        for file in report.files {
            read[file.dataset, default: 0] += file.rowsRead
            accepted[file.dataset, default: 0] += file.rowsAccepted
            rejected[file.dataset, default: 0] += file.rowsRejected
        }
        var validate: [String: Int] = [:]
        for (dataset, count) in accepted { validate["\(dataset)_accepted"] = count }
        for (dataset, count) in rejected { validate["\(dataset)_rejected"] = count }
        return Manifest.StageCounts(
            ingest: read, validate: validate,
            aggregate: [
                "registrations": aggregate.store.registrationCount, "persons": aggregate.store.personCount,
                "service_records_in_period": aggregate.serviceRecordsInPeriod,
            ],
            publish: ["by_region": regions])
    }
}
