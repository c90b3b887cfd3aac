import Foundation
import Testing
import VolstatCore
import VolstatTestSupport

@testable import VolstatPipeline

@Suite("run ledger")
struct RunLedgerTests {
    /// A ledger in a folder of its own (kept alive with it) and a run begun in it.
    static func ledgerWithRun() throws -> (workdir: Workdir, ledger: RunLedger, run: Int64) {
        let workdir = try Workdir()
        let ledger = try RunLedger(outputRoot: workdir.url)
        let run = try ledger.begin(
            pipeline: "p", asOf: "2022-12-31", pipelineSHA256: "a", inputsSHA256: "pending", inputs: [])
        return (workdir, ledger, run)
    }

    @Test("bookkeeping written in the background is there for the next read, in order")
    func backgroundWritesInOrder() throws {
        let (workdir, ledger, run) = try Self.ledgerWithRun()
        defer { withExtendedLifetime(workdir) {} }
        for stage in RunLedger.stages { try ledger.stage(run, stage, "running") }
        try ledger.setInputs(run, inputsSHA256: "b", inputs: [("v.csv", "sources[0]", "c", 10)])
        try ledger.counts(run, files: [("v.csv", 10, 9, 1)], rejectsByRule: ["field.missing": 1])
        for stage in RunLedger.stages { try ledger.stage(run, stage, "done") }
        let entry = try #require(try ledger.history(pipeline: "p", last: 1).first)
        #expect(entry.stages == ["ingest": "done", "validate": "done", "aggregate": "done", "publish": "done"])
        #expect(entry.rowsRead == 10 && entry.rowsRejected == 1 && entry.rejectsByRule == ["field.missing": 1])
    }

    @Test("a background write that fails makes the next foreground write throw, once")
    func backgroundFailure() throws {
        let (workdir, ledger, run) = try Self.ledgerWithRun()
        defer { withExtendedLifetime(workdir) {} }
        // Rejects of a run that does not exist break the foreign key: the write fails later.
        try ledger.counts(run + 1_000, files: [], rejectsByRule: ["field.missing": 1])
        #expect(throws: OutputError.self) {
            try ledger.finish(run, status: "failed", exitCode: 1, manifestSHA256: nil, report: nil, message: nil)
        }
        try ledger.finish(run, status: "failed", exitCode: 1, manifestSHA256: nil, report: nil, message: nil)
    }
}
