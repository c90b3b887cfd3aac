import Foundation
import VolstatAggregate
import VolstatCore
import VolstatPublish
import VolstatValidate

/// The publish stage: writes the tables, the figures sheet, the validation report, the reject
/// files and the manifest into a staging folder and moves it into place.
struct PublishStage {
    let config: PipelineConfig
    let asOf: CivilDate
    let regions: RegionTable
    let outputRoot: URL

    struct Published {
        var folder: URL
        var figures: String
        var files: [String]
    }

    func write(
        aggregate: AggregateStage, statistics: [RegionStatistics], report: ValidationReport, rejects: RejectSink,
        inputs: [IngestStage.Input], stageRows: Manifest.StageCounts
    ) throws -> Published {
        let final = outputRoot.appendingPathComponent(config.name).appendingPathComponent(asOf.description)
        let folder = try ReportFolder(final: final)
        do {
            var tables: [Table] = []
            let hasVolunteers = aggregate.datasets.contains(.volunteers)
            if hasVolunteers {
                tables.append(ByRegionTable.table(statistics, regions: regions))
                tables.append(GroupSharesTable.table(statistics, regions: regions))
                tables.append(RetentionTable.table(aggregate.retention()))
            }
            if aggregate.datasets.contains(.placements) {
                tables.append(PlacementsTable.table(aggregate.placements.statistics, regions: regions))
                tables.append(ProgrammeChecksTable.table(aggregate.placements.checks, regions: regions))
            }
            if aggregate.datasets.contains(.orders) {
                tables.append(OrdersTable.table(aggregate.orders.statistics, regions: regions))
            }
            for table in tables { try folder.write("tables/\(table.name).csv.gz", try table.gzip()) }
            let figures = FiguresSheet(
                pipeline: config.name, asOf: asOf,
                sources: Array(Set(inputs.map { URL(fileURLWithPath: $0.path).lastPathComponent })).sorted(),
                input: FiguresSheet.Input(
                    regions: hasVolunteers ? statistics : [],
                    placements: aggregate.datasets.contains(.placements) ? aggregate.placements : nil,
                    orders: aggregate.orders.statistics),
                regions: regions)
            try folder.write("figures.md", text: figures.markdown)
            try folder.write(
                "validation.json",
                try JSONOutput.encode(
                    ValidationDocument(report: report, policy: config.validation, pipeline: config.name, asOf: asOf)))
            for (dataset, gzip) in rejects.finish() { try folder.write("rejects/\(dataset.rawValue).csv.gz", gzip) }
            let outputs = folder.written.map {
                Manifest.FileEntry(path: $0.path, bytes: $0.bytes.count, sha256: Digest.sha256($0.bytes))
            }
            .sorted { $0.path < $1.path }
            let manifest = Manifest(
                pipeline: config.name, asOf: asOf.description, volstatVersion: VolstatVersion.current,
                inputs: inputs.map { Manifest.FileEntry(path: $0.path, bytes: $0.bytes, sha256: $0.sha256) },
                outputs: outputs, rows: stageRows)
            try folder.write("manifest.json", try manifest.json())
            try folder.publish()
            return Published(folder: final, figures: figures.markdown, files: folder.written.map(\.path).sorted())
        } catch {
            folder.abandon()
            throw error
        }
    }
}

/// The version written into manifests.
public enum VolstatVersion {
    public static let current = "0.1.0"
}

/// The JSON shape of `validation.json`.
struct ValidationDocument: Encodable {
    struct Totals: Encodable {
        var rowsRead: Int
        var rowsAccepted: Int
        var rowsRejected: Int
        var rejectedByRule: [String: Int]
        var warningsByRule: [String: Int]
        var unreadableFiles: Int

        enum CodingKeys: String, CodingKey {
            case rowsRead = "rows_read"
            case rowsAccepted = "rows_accepted"
            case rowsRejected = "rows_rejected"
            case rejectedByRule = "rejected_by_rule"
            case warningsByRule = "warnings_by_rule"
            case unreadableFiles = "unreadable_files"
        }
    }

    struct RuleEntry: Encodable {
        var code: String
        var summary: String
        var severity: Severity
    }

    var pipeline: String
    var asOf: String
    var passed: Bool
    var files: [ValidationReport.FileCounts]
    var totals: Totals
    var thresholds: [ValidationReport.Threshold]
    var rules: [RuleEntry]

    enum CodingKeys: String, CodingKey {
        case pipeline, passed, files, totals, thresholds, rules
        case asOf = "as_of"
    }

    init(report: ValidationReport, policy: ValidationPolicy, pipeline: String, asOf: CivilDate) {
        self.pipeline = pipeline
        self.asOf = asOf.description
        passed = report.passed
        files = report.files
        totals = Totals(
            rowsRead: report.rowsRead, rowsAccepted: report.rowsAccepted, rowsRejected: report.rowsRejected,
            rejectedByRule: report.rejectedByRule, warningsByRule: report.warningsByRule,
            unreadableFiles: report.unreadableFiles)
        thresholds = report.thresholds
        rules = Rule.all.map { RuleEntry(code: $0.code, summary: $0.summary, severity: policy.severity($0)) }
    }
}
