public import Foundation
public import VolstatAggregate
public import VolstatCore
import VolstatIngest
import VolstatPublish
public import VolstatValidate

/// One run of a pipeline: ingest, validate, aggregate and publish, in that order, for one as_of.
///
/// Records stream through ingest, validate and aggregate one at a time; only the registration
/// store is held in memory. Publish writes into a staging folder that replaces the previous
/// report of the same day in one rename.
public final class PipelineRun {
    /// What the caller asks for.
    public struct Request: Sendable {
        public var config: PipelineConfig
        public var asOf: CivilDate
        public var outputRoot: URL
        public var secret: [UInt8]
        public var today: CivilDate

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
        /// The published report folder, `OUT/NAME/AS_OF`.
        public var reportFolder: URL
        /// Every validation threshold passed (otherwise the command exits 1).
        public var passed: Bool
        public var thresholds: [ValidationReport.Threshold]
        public var rowsRead: Int
        public var rowsAccepted: Int
        public var rowsRejected: Int
        public var rejectedByRule: [String: Int]
        public var unreadableFiles: [(path: String, error: String)]
        public var national: RegionStatistics?
        public var figuresMarkdown: String
        public var outputFiles: [String]
    }

    private let request: Request
    private let log: (String) -> Void

    /// - Parameter log: receives one line per stage event, for the terminal or the log.
    public init(_ request: Request, log: @escaping (String) -> Void = { _ in }) {
        self.request = request
        self.log = log
    }

    public func execute() throws -> Result {
        let config = request.config
        let lock = try RunLock(
            folder: request.outputRoot.appendingPathComponent(config.name), pipeline: config.name)
        defer { withExtendedLifetime(lock) {} }
        let regions = try RegionTable.bundled()
        let population = try config.population.map { try PopulationTable.load($0, pipelineFile: config.file) } ?? [:]

        // Ingest: find every input file before reading any.
        let inputs = try IngestStage.plan(config)
        log(
            "ingest: \(inputs.count) file\(inputs.count == 1 ? "" : "s") for \(config.sources.count) source\(config.sources.count == 1 ? "" : "s")"
        )

        // Validate and aggregate, streaming row by row.
        let report = ValidationReport()
        let pseudonymiser = Pseudonymiser(secret: request.secret)
        let seed = Array("volstat record-id fingerprints".utf8).withUnsafeBytes { pseudonymiser.personKey($0).low }
        let validator = Validator(
            policy: config.validation, regions: regions, today: request.today, report: report, rejects: RejectSink(),
            seed: seed)
        var aggregate = AggregateStage(asOf: request.asOf)
        let ingest = IngestStage(
            pseudonymiser: pseudonymiser, policy: config.validation, pipelineFile: config.file)
        for (ordinal, input) in inputs.enumerated() {
            try ingest.read(input, ordinal: Int32(ordinal), validator: validator, aggregate: &aggregate, report: report)
            let counts = report.files.last!
            log(
                "validate: \(input.path): \(counts.rowsRead) rows, \(counts.rowsAccepted) accepted, \(counts.rowsRejected) rejected"
                    + (counts.error.map { " — unreadable: \($0)" } ?? ""))
        }
        let thresholds = report.evaluate(config.validation)

        // Aggregate: roll up to every region.
        let statistics = aggregate.byRegion(partyStatuses: config.partyStatuses, population: population)
        log("aggregate: \(aggregate.store.personCount) persons, \(statistics.count) regions")

        // Publish.
        let publish = PublishStage(
            config: config, asOf: request.asOf, regions: regions, outputRoot: request.outputRoot)
        let published = try publish.write(
            aggregate: aggregate, statistics: statistics, report: report, rejects: validator.rejects, inputs: inputs,
            stageRows: stageRows(report: report, aggregate: aggregate, regions: statistics.count))
        log("publish: \(published.folder.path)")

        return Result(
            reportFolder: published.folder, passed: report.passed, thresholds: thresholds, rowsRead: report.rowsRead,
            rowsAccepted: report.rowsAccepted, rowsRejected: report.rowsRejected, rejectedByRule: report.rejectedByRule,
            unreadableFiles: report.files.compactMap { file in file.error.map { (file.path, $0) } },
            national: statistics.first { $0.level == .national }, figuresMarkdown: published.figures,
            outputFiles: published.files)
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
