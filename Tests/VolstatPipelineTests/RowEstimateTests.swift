import Foundation
import Testing
import VolstatCore
import VolstatIngest
import VolstatTestSupport

@testable import VolstatPipeline

@Suite("row estimate before reading")
struct RowEstimateTests {
    static func input(_ path: String, format: InputFormat = .csv) throws -> IngestStage.Input {
        let bytes = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        let source = PipelineConfig.Source(
            dataset: .serviceRecords, format: format, path: path, encoding: .auto, dialect: CSVDialect(),
            mapping: FieldMapping(dataset: .serviceRecords), recordElement: nil, keyPath: "sources[0]")
        return IngestStage.Input(source: source, sourceIndex: 0, path: path, sha256: "", bytes: bytes)
    }

    @Test("a small file's rows are counted; a large one's are estimated from its first 64 KiB")
    func estimates() throws {
        let workdir = try Workdir()
        let header = "record_id,volunteer_id,hours\n"
        let small = try workdir.write("small.csv", header + "R1,V1,1.5\nR2,V2,2\nR3,V3,3")
        #expect(IngestStage.estimatedRows(of: try Self.input(small)) == 3)
        // Rows of one length: the estimate from the first 64 KiB is the count.
        let rows = (0..<50_000).map { String(format: "R%06d,V%05d,%d.25\n", $0, $0 % 977, $0 % 7) }
        let large = try workdir.write("large.csv", header + rows.joined())
        #expect(IngestStage.estimatedRows(of: try Self.input(large)) == 50_000)
        // Rows that grow longer after the first 64 KiB: estimated high, at most one per 16 bytes.
        let growing = (0..<50_000).map { $0 < 5_000 ? "R\($0),V,1\n" : "R\($0),V\($0),\($0 % 7).25,padding\n" }
        let uneven = try workdir.write("uneven.csv", header + growing.joined())
        let bytes = try Self.input(uneven).bytes
        let estimate = try #require(IngestStage.estimatedRows(of: try Self.input(uneven)))
        #expect(estimate > 50_000 && estimate == bytes / 16)
        let headerOnly = try workdir.write("header.csv", header)
        #expect(IngestStage.estimatedRows(of: try Self.input(headerOnly)) == 0)
    }

    @Test("no estimate for gzip, XML or a first 64 KiB without a row")
    func noEstimate() throws {
        let workdir = try Workdir()
        let gzip = try workdir.write("r.csv.gz", bytes: [0x1F, 0x8B] + [UInt8](repeating: 0x41, count: 100))
        #expect(IngestStage.estimatedRows(of: try Self.input(gzip)) == nil)
        let xml = try workdir.write("r.xml", "<records><record/></records>\n")
        #expect(IngestStage.estimatedRows(of: try Self.input(xml, format: .xml)) == nil)
        let long = try workdir.write("long.csv", "a,b\n" + String(repeating: "x", count: 70_000) + "\n")
        #expect(IngestStage.estimatedRows(of: try Self.input(long)) == nil)
    }
}
