import Foundation
import VolstatAggregate
import VolstatCore
import VolstatPublish
import VolstatValidate

/// The publish stage, in two halves: `content` renders every output file in memory (tables,
/// figures, validation report, drift report, rejects and the manifest over them), and `publish`
/// writes them into a staging folder and exchanges it with the report folder in one step.
struct PublishStage {
    let config: PipelineConfig
    let asOf: CivilDate
    let regions: RegionTable
    let outputRoot: URL

    var finalFolder: URL { outputRoot.appendingPathComponent(config.name).appendingPathComponent(asOf.description) }

    func content(
        aggregate: AggregateStage, statistics: [RegionStatistics], retention: [RetentionRow],
        report: ValidationReport, rejects: RejectSink,
        drift: DriftReport?, inputs: [IngestStage.Input], references: [Manifest.FileEntry],
        stageRows: Manifest.StageCounts
    ) throws -> ReportContent {
        var content = ReportContent()
        var tables: [Table] = []
        let hasVolunteers = aggregate.datasets.contains(.volunteers)
        if hasVolunteers {
            // The two large tables are formatted side by side (3,346 rows each at 1 million volunteers).
            let regions = regions
            let (byRegion, groupShares) = try concurrently(
                { ByRegionTable.table(statistics, regions: regions) },
                { GroupSharesTable.table(statistics, regions: regions) })
            tables += [byRegion, groupShares, RetentionTable.table(retention)]
        }
        if aggregate.datasets.contains(.placements) {
            tables.append(PlacementsTable.table(aggregate.placements.statistics, regions: regions))
            tables.append(ProgrammeChecksTable.table(aggregate.placements.checks, regions: regions))
        }
        if aggregate.datasets.contains(.orders) {
            tables.append(OrdersTable.table(aggregate.orders.statistics, regions: regions))
        }
        for (table, gzip) in zip(tables, try Table.gzip(tables)) { content.add("tables/\(table.name).csv.gz", gzip) }
        let figures = FiguresSheet(
            pipeline: config.name, asOf: asOf,
            sources: Array(Set(inputs.map { URL(fileURLWithPath: $0.path).lastPathComponent })).sorted(),
            input: FiguresSheet.Input(
                regions: hasVolunteers ? statistics : [],
                placements: aggregate.datasets.contains(.placements) ? aggregate.placements : nil,
                orders: aggregate.orders.statistics),
            regions: regions)
        content.add("figures.md", text: figures.markdown)
        content.add(
            "validation.json",
            try JSONOutput.encode(
                ValidationDocument(report: report, policy: config.validation, pipeline: config.name, asOf: asOf)))
        if let drift { content.add("drift.json", try JSONOutput.encode(drift)) }
        for (dataset, gzip) in rejects.finish() { content.add("rejects/\(dataset.rawValue).csv.gz", gzip) }
        let outputs = content.files.map {
            Manifest.FileEntry(path: $0.path, bytes: $0.bytes.count, sha256: Digest.sha256($0.bytes))
        }
        .sorted { $0.path < $1.path }
        let manifest = Manifest(
            pipeline: config.name, asOf: asOf.description, volstatVersion: VolstatVersion.current,
            inputs: inputs.map { Manifest.FileEntry(path: $0.path, bytes: $0.bytes, sha256: $0.sha256) } + references,
            outputs: outputs, rows: stageRows)
        content.add("manifest.json", try manifest.json())
        return content
    }

    /// Writes the content into a staging folder and exchanges it with the report folder.
    /// - Parameter beforeExchange: runs once the staging folder is complete (progress, test hooks).
    func publish(_ content: ReportContent, beforeExchange: () -> Void = {}) throws -> URL {
        let folder = try ReportFolder(final: finalFolder)
        do {
            try folder.write(content.files)
            beforeExchange()
            try folder.publish()
            return finalFolder
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
