public import Foundation
import GRDB
public import VolstatCore

/// The run history of an output folder, in SQLite (`OUT/.volstat/ledger.sqlite`): every run with
/// its pipeline, as_of, times, status per stage, exit code, inputs with their SHA-256, sizes and
/// row counts, rejects per rule, the manifest's hash, and the per-province figures drift alerts
/// compare against.
///
/// The bookkeeping in the middle of a run (stage marks, digests, counts, figures) is written in
/// the background, in order with every other write: a transaction waits for four fsyncs (about
/// 1.5 ms here), and ten of them lay between the last row read and the end of every run. Reads,
/// `begin`, `finish` and the other writes wait for it; a background write that fails makes the
/// next write, in the foreground or the background, throw.
public final class RunLedger {
    /// One run as `volstat runs` shows it.
    public struct RunEntry: Sendable, Codable, Equatable {
        public var id: Int64
        public var pipeline: String
        public var asOf: String
        public var status: String
        public var exitCode: Int?
        public var startedAt: String
        public var endedAt: String?
        public var stages: [String: String]
        public var rowsRead: Int
        public var rowsAccepted: Int
        public var rowsRejected: Int
        public var rejectsByRule: [String: Int]
        public var inputs: [InputEntry]
        public var manifestSHA256: String?
        public var report: String?
        public var message: String?
        public var reusedRun: Int64?

        enum CodingKeys: String, CodingKey {
            case id, pipeline, status, stages, inputs, report, message
            case asOf = "as_of"
            case exitCode = "exit_code"
            case startedAt = "started_at"
            case endedAt = "ended_at"
            case rowsRead = "rows_read"
            case rowsAccepted = "rows_accepted"
            case rowsRejected = "rows_rejected"
            case rejectsByRule = "rejects_by_rule"
            case manifestSHA256 = "manifest_sha256"
            case reusedRun = "reused_run"
        }
    }

    public struct InputEntry: Sendable, Codable, Equatable {
        public var path: String
        public var source: String
        public var sha256: String
        public var bytes: Int
        public var rowsRead: Int
        public var rowsAccepted: Int
        public var rowsRejected: Int

        enum CodingKeys: String, CodingKey {
            case path, source, sha256, bytes
            case rowsRead = "rows_read"
            case rowsAccepted = "rows_accepted"
            case rowsRejected = "rows_rejected"
        }
    }

    /// The figures of one region in one run, kept for drift alerts.
    public struct RegionFigure: Sendable, Equatable {
        public var code: RegionCode
        public var registered: Int64
        public var totalHundredths: Int64
    }

    static let stages = ["ingest", "validate", "aggregate", "publish"]

    private let database: DatabaseQueue
    public let path: String
    /// The first failure of a background write, until a foreground write throws it.
    private let backgroundFailure = BackgroundFailure()

    /// Kept apart from the ledger, so that a background write's completion does not hold the
    /// ledger (whose `deinit` must not run on the database's own queue).
    private final class BackgroundFailure: @unchecked Sendable {
        private let lock = NSLock()
        private var failure: OutputError?

        func record(_ error: OutputError) {
            lock.lock()
            if failure == nil { failure = error }
            lock.unlock()
        }

        /// The failure recorded, which is then forgotten.
        func take() -> OutputError? {
            lock.lock()
            defer { lock.unlock() }
            let taken = failure
            failure = nil
            return taken
        }
    }

    /// The folder of an output folder's bookkeeping: the ledger, and the binary's digest cache.
    static func folder(in outputRoot: URL) -> URL { outputRoot.appendingPathComponent(".volstat") }

    /// Opens (creating) the ledger of an output folder.
    public init(outputRoot: URL) throws {
        let folder = Self.folder(in: outputRoot)
        path = folder.appendingPathComponent("ledger.sqlite").path
        do {
            try DurableFiles.makeFolder(folder)
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            database = try DatabaseQueue(path: path, configuration: configuration)
            try Self.migrator.migrate(database)
        } catch {
            throw OutputError("cannot open the run ledger \(path): \(error)")
        }
    }

    /// Waits for the background writes, so that none is lost when the process ends.
    deinit { waitForBackgroundWrites() }

    /// Returns once every write made so far is in the database.
    public func waitForBackgroundWrites() { _ = try? database.read { _ in } }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE runs (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        pipeline TEXT NOT NULL, as_of TEXT NOT NULL, pipeline_sha256 TEXT NOT NULL,
                        inputs_sha256 TEXT NOT NULL, pid INTEGER NOT NULL,
                        started_at TEXT NOT NULL, ended_at TEXT,
                        status TEXT NOT NULL, exit_code INTEGER,
                        stage_ingest TEXT NOT NULL DEFAULT 'pending', stage_validate TEXT NOT NULL DEFAULT 'pending',
                        stage_aggregate TEXT NOT NULL DEFAULT 'pending', stage_publish TEXT NOT NULL DEFAULT 'pending',
                        rows_read INTEGER NOT NULL DEFAULT 0, rows_accepted INTEGER NOT NULL DEFAULT 0,
                        rows_rejected INTEGER NOT NULL DEFAULT 0,
                        manifest_sha256 TEXT, report TEXT, message TEXT, reused_run INTEGER
                    );
                    CREATE INDEX runs_by_pipeline ON runs (pipeline, as_of);
                    CREATE TABLE run_inputs (
                        run_id INTEGER NOT NULL REFERENCES runs(id), path TEXT NOT NULL, source TEXT NOT NULL,
                        sha256 TEXT NOT NULL, bytes INTEGER NOT NULL, rows_read INTEGER NOT NULL DEFAULT 0,
                        rows_accepted INTEGER NOT NULL DEFAULT 0, rows_rejected INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE TABLE run_rejects (run_id INTEGER NOT NULL REFERENCES runs(id), rule TEXT NOT NULL, count INTEGER NOT NULL);
                    CREATE TABLE run_regions (
                        run_id INTEGER NOT NULL REFERENCES runs(id), region_code INTEGER NOT NULL,
                        registered INTEGER NOT NULL, total_hundredths INTEGER NOT NULL
                    );
                    """)
        }
        return migrator
    }

    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date())
    }

    /// Marks the runs of a pipeline still "running" as failed: the caller holds the pipeline's
    /// lock, so their processes are gone (killed, or the machine stopped).
    public func markAbandoned(pipeline: String) throws {
        try write { db in
            try db.execute(
                sql: """
                    UPDATE runs SET status = 'failed', exit_code = NULL, ended_at = COALESCE(ended_at, ?),
                        message = 'the process ended before the run finished (killed or crashed); marked at the next start',
                        stage_ingest = REPLACE(stage_ingest, 'running', 'failed'),
                        stage_validate = REPLACE(stage_validate, 'running', 'failed'),
                        stage_aggregate = REPLACE(stage_aggregate, 'running', 'failed'),
                        stage_publish = REPLACE(stage_publish, 'running', 'failed')
                    WHERE pipeline = ? AND status = 'running'
                    """, arguments: [Self.now(), pipeline])
        }
    }

    /// Records the start of a run and returns its id.
    public func begin(
        pipeline: String, asOf: String, pipelineSHA256: String, inputsSHA256: String,
        inputs: [(path: String, source: String, sha256: String, bytes: Int)]
    ) throws -> Int64 {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO runs (pipeline, as_of, pipeline_sha256, inputs_sha256, pid, started_at, status)
                    VALUES (?, ?, ?, ?, ?, ?, 'running')
                    """, arguments: [pipeline, asOf, pipelineSHA256, inputsSHA256, Int(getpid()), Self.now()])
            let id = db.lastInsertedRowID
            try Self.insert(inputs, of: id, into: db)
            return id
        }
    }

    /// Records the inputs' digests of a run begun before they were known.
    public func setInputs(
        _ run: Int64, inputsSHA256: String, inputs: [(path: String, source: String, sha256: String, bytes: Int)]
    ) throws {
        try writeInBackground { db in
            try db.execute(sql: "UPDATE runs SET inputs_sha256 = ? WHERE id = ?", arguments: [inputsSHA256, run])
            try db.execute(sql: "DELETE FROM run_inputs WHERE run_id = ?", arguments: [run])
            try Self.insert(inputs, of: run, into: db)
        }
    }

    private static func insert(
        _ inputs: [(path: String, source: String, sha256: String, bytes: Int)], of run: Int64, into db: Database
    ) throws {
        for input in inputs {
            try db.execute(
                sql: "INSERT INTO run_inputs (run_id, path, source, sha256, bytes) VALUES (?, ?, ?, ?, ?)",
                arguments: [run, input.path, input.source, input.sha256, input.bytes])
        }
    }

    /// Whether a run of this pipeline file for this as_of ever succeeded (so that one might be
    /// reused, which only the inputs' digests can tell).
    public func hasSuccess(pipeline: String, asOf: String, pipelineSHA256: String) throws -> Bool {
        try database.read { db in
            try Bool.fetchOne(
                db,
                sql: """
                    SELECT EXISTS (SELECT 1 FROM runs WHERE pipeline = ? AND as_of = ? AND pipeline_sha256 = ?
                        AND status IN ('succeeded', 'data_failed') AND manifest_sha256 IS NOT NULL)
                    """, arguments: [pipeline, asOf, pipelineSHA256]) ?? false
        }
    }

    /// Sets a stage's status: `running`, `done`, `failed`, `skipped` or `reused`.
    public func stage(_ run: Int64, _ stage: String, _ status: String) throws {
        precondition(Self.stages.contains(stage), "unknown stage \(stage)")
        try writeInBackground { db in
            try db.execute(sql: "UPDATE runs SET stage_\(stage) = ? WHERE id = ?", arguments: [status, run])
        }
    }

    /// Marks a stage that was running as failed.
    public func failStage(_ run: Int64, _ stage: String) throws {
        try write { db in
            try db.execute(
                sql: "UPDATE runs SET stage_\(stage) = 'failed' WHERE id = ? AND stage_\(stage) = 'running'",
                arguments: [run])
        }
    }

    /// Records the counts of the validate stage.
    public func counts(
        _ run: Int64, files: [(path: String, read: Int, accepted: Int, rejected: Int)], rejectsByRule: [String: Int]
    ) throws {
        try writeInBackground { db in
            for file in files {
                try db.execute(
                    sql:
                        "UPDATE run_inputs SET rows_read = ?, rows_accepted = ?, rows_rejected = ? WHERE run_id = ? AND path = ?",
                    arguments: [file.read, file.accepted, file.rejected, run, file.path])
            }
            try db.execute(
                sql: "UPDATE runs SET rows_read = ?, rows_accepted = ?, rows_rejected = ? WHERE id = ?",
                arguments: [
                    files.reduce(0) { $0 + $1.read }, files.reduce(0) { $0 + $1.accepted },
                    files.reduce(0) { $0 + $1.rejected }, run,
                ])
            for (rule, count) in rejectsByRule.sorted(by: { $0.key < $1.key }) {
                try db.execute(
                    sql: "INSERT INTO run_rejects (run_id, rule, count) VALUES (?, ?, ?)",
                    arguments: [run, rule, count])
            }
        }
    }

    /// Copies the row counts, rejects and figures of an earlier run (the failed run a resumed run
    /// publishes), so that the history and the next run's drift checks see them.
    public func copyResults(from source: Int64, to run: Int64) throws {
        try write { db in
            try db.execute(
                sql: """
                    UPDATE run_inputs SET
                        rows_read = (SELECT s.rows_read FROM run_inputs s WHERE s.run_id = ? AND s.path = run_inputs.path),
                        rows_accepted = (SELECT s.rows_accepted FROM run_inputs s WHERE s.run_id = ? AND s.path = run_inputs.path),
                        rows_rejected = (SELECT s.rows_rejected FROM run_inputs s WHERE s.run_id = ? AND s.path = run_inputs.path)
                    WHERE run_id = ?
                    """, arguments: [source, source, source, run])
            try db.execute(
                sql: """
                    UPDATE runs SET (rows_read, rows_accepted, rows_rejected) =
                        (SELECT rows_read, rows_accepted, rows_rejected FROM runs WHERE id = ?) WHERE id = ?
                    """, arguments: [source, run])
            try db.execute(
                sql:
                    "INSERT INTO run_rejects (run_id, rule, count) SELECT ?, rule, count FROM run_rejects WHERE run_id = ?",
                arguments: [run, source])
            try db.execute(
                sql: """
                    INSERT INTO run_regions (run_id, region_code, registered, total_hundredths)
                        SELECT ?, region_code, registered, total_hundredths FROM run_regions WHERE run_id = ?
                    """, arguments: [run, source])
        }
    }

    /// Records the national and provincial figures drift alerts compare against.
    public func figures(_ run: Int64, _ regions: [RegionFigure]) throws {
        try writeInBackground { db in
            for region in regions {
                try db.execute(
                    sql:
                        "INSERT INTO run_regions (run_id, region_code, registered, total_hundredths) VALUES (?, ?, ?, ?)",
                    arguments: [run, Int(region.code), region.registered, region.totalHundredths])
            }
        }
    }

    /// Records the end of a run.
    public func finish(
        _ run: Int64, status: String, exitCode: Int32, manifestSHA256: String?, report: String?, message: String?,
        reusedRun: Int64? = nil
    ) throws {
        try write { db in
            try db.execute(
                sql: """
                    UPDATE runs SET status = ?, exit_code = ?, ended_at = ?, manifest_sha256 = COALESCE(?, manifest_sha256),
                        report = COALESCE(?, report), message = ?, reused_run = ? WHERE id = ?
                    """,
                arguments: [status, Int(exitCode), Self.now(), manifestSHA256, report, message, reusedRun, run])
        }
    }

    /// The last successful run of a pipeline for an as_of with the same pipeline file and inputs.
    public func lastSuccess(
        pipeline: String, asOf: String, pipelineSHA256: String, inputsSHA256: String
    ) throws
        -> RunEntry?
    {
        let id = try database.read { db in
            try Int64.fetchOne(
                db,
                sql: """
                    SELECT id FROM runs WHERE pipeline = ? AND as_of = ? AND pipeline_sha256 = ? AND inputs_sha256 = ?
                        AND status IN ('succeeded', 'data_failed') AND manifest_sha256 IS NOT NULL ORDER BY id DESC LIMIT 1
                    """, arguments: [pipeline, asOf, pipelineSHA256, inputsSHA256])
        }
        return try id.flatMap { try entries(ids: [$0]).first }
    }

    /// The last failed run with the same pipeline file and inputs whose aggregate stage finished.
    public func resumable(
        pipeline: String, asOf: String, pipelineSHA256: String, inputsSHA256: String
    ) throws -> RunEntry? {
        let id = try database.read { db in
            try Int64.fetchOne(
                db,
                sql: """
                    SELECT id FROM runs WHERE pipeline = ? AND as_of = ? AND pipeline_sha256 = ? AND inputs_sha256 = ?
                        AND status = 'failed' AND stage_aggregate = 'done' ORDER BY id DESC LIMIT 1
                    """, arguments: [pipeline, asOf, pipelineSHA256, inputsSHA256])
        }
        return try id.flatMap { try entries(ids: [$0]).first }
    }

    /// The last successful (or data-failed but published) run of a pipeline before this one.
    public func previousPublished(
        pipeline: String, before run: Int64
    ) throws -> (entry: RunEntry, regions: [RegionFigure])? {
        let id = try database.read { db in
            try Int64.fetchOne(
                db,
                sql: """
                    SELECT id FROM runs WHERE pipeline = ? AND id < ? AND stage_aggregate IN ('done', 'reused')
                        AND status IN ('succeeded', 'data_failed')
                    ORDER BY id DESC LIMIT 1
                    """, arguments: [pipeline, run])
        }
        guard let id, let entry = try entries(ids: [id]).first else { return nil }
        let regions = try database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM run_regions WHERE run_id = ? ORDER BY region_code", arguments: [id]
            ).map {
                RegionFigure(
                    code: RegionCode($0["region_code"] as Int), registered: $0["registered"],
                    totalHundredths: $0["total_hundredths"])
            }
        }
        return (entry, regions)
    }

    /// The history, newest first.
    public func history(pipeline: String?, last: Int) throws -> [RunEntry] {
        let ids = try database.read { db in
            if let pipeline {
                return try Int64.fetchAll(
                    db, sql: "SELECT id FROM runs WHERE pipeline = ? ORDER BY id DESC LIMIT ?",
                    arguments: [pipeline, last])
            }
            return try Int64.fetchAll(db, sql: "SELECT id FROM runs ORDER BY id DESC LIMIT ?", arguments: [last])
        }
        return try entries(ids: ids)
    }

    private func entries(ids: [Int64]) throws -> [RunEntry] {
        try database.read { db in
            try ids.compactMap { id -> RunEntry? in
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]) else {
                    return nil
                }
                let inputs = try Row.fetchAll(
                    db, sql: "SELECT * FROM run_inputs WHERE run_id = ? ORDER BY rowid", arguments: [id]
                ).map {
                    InputEntry(
                        path: $0["path"], source: $0["source"], sha256: $0["sha256"], bytes: $0["bytes"],
                        rowsRead: $0["rows_read"], rowsAccepted: $0["rows_accepted"], rowsRejected: $0["rows_rejected"])
                }
                var rejects: [String: Int] = [:]
                for reject in try Row.fetchAll(
                    db, sql: "SELECT rule, count FROM run_rejects WHERE run_id = ?", arguments: [id])
                {
                    rejects[reject["rule"]] = reject["count"]
                }
                var stages: [String: String] = [:]
                for stage in Self.stages { stages[stage] = row["stage_\(stage)"] }
                return RunEntry(
                    id: id, pipeline: row["pipeline"], asOf: row["as_of"], status: row["status"],
                    exitCode: row["exit_code"],
                    startedAt: row["started_at"], endedAt: row["ended_at"], stages: stages, rowsRead: row["rows_read"],
                    rowsAccepted: row["rows_accepted"], rowsRejected: row["rows_rejected"], rejectsByRule: rejects,
                    inputs: inputs, manifestSHA256: row["manifest_sha256"], report: row["report"],
                    message: row["message"],
                    reusedRun: row["reused_run"])
            }
        }
    }

    private func write<T>(_ body: (Database) throws -> T) throws -> T {
        let result: T
        do {
            result = try database.write(body)
        } catch {
            throw OutputError("cannot write the run ledger \(path): \(error)")
        }
        // The background writes came before this one (the database runs them in order).
        if let failure = backgroundFailure.take() { throw failure }
        return result
    }

    /// Queues `body` as a transaction of its own, after every write before it; see the type.
    /// Throws only a failure of an earlier background write.
    private func writeInBackground(_ body: @escaping @Sendable (Database) throws -> Void) throws {
        if let failure = backgroundFailure.take() { throw failure }
        let path = path
        let failures = backgroundFailure
        database.asyncWrite(body) { _, result in
            guard case .failure(let error) = result else { return }
            failures.record(OutputError("cannot write the run ledger \(path): \(error)"))
        }
    }
}
