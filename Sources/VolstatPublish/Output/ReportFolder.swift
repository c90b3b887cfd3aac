import CSystemShims
public import Foundation
import VolstatCore

/// Writes a run's outputs into a staging folder beside the final one and moves it into place at
/// the end, so that readers see either the previous complete report or the new complete one.
///
/// Layout: `OUT/NAME/AS_OF/` (the final folder) and `OUT/NAME/.staging-AS_OF-PID/` while writing.
public final class ReportFolder {
    public let final: URL
    public let staging: URL
    private let fileManager = FileManager.default

    public init(final: URL) throws {
        self.final = final
        let parent = final.deletingLastPathComponent()
        staging = parent.appendingPathComponent(".staging-\(final.lastPathComponent)-\(getpid())")
        do {
            try DurableFiles.makeFolder(parent)
            if fileManager.fileExists(atPath: staging.path) { try fileManager.removeItem(at: staging) }
            try fileManager.createDirectory(at: staging, withIntermediateDirectories: true)
        } catch let error as OutputError {
            throw error
        } catch {
            throw OutputError("cannot create the output folder \(parent.path): \(error.localizedDescription)")
        }
    }

    /// Writes files under the staging folder (paths may contain subfolders), all on disk when it
    /// returns (`DurableFiles`).
    public func write(_ files: [(path: String, bytes: [UInt8])]) throws {
        try DurableFiles.write(files.map { (staging.appendingPathComponent($0.path), $0.bytes) })
    }

    /// Moves the staging folder into place. A previous report of the same day is exchanged with
    /// the new one in one atomic step (renameat2 with RENAME_EXCHANGE), so that readers, and a
    /// crash at any moment, see either the old complete report or the new complete one. The
    /// pipeline's folder is flushed after the move, so that a power cut after a run that ended
    /// does not bring the previous report back.
    public func publish() throws {
        try move()
        do {
            try DurableFiles.syncFolder(final.deletingLastPathComponent())
        } catch let error as OutputError {
            throw OutputError(
                "the report is in place in \(final.path), but may not last through a power cut: \(error.message)")
        }
    }

    private func move() throws {
        do {
            if fileManager.fileExists(atPath: final.path) {
                // Once the new report is in place, the previous one is removed as far as it can
                // be: a run that ends before it is, or cannot, leaves it for the next run's
                // `removeLeftovers`, instead of failing with its report published.
                if volstat_exchange_paths(staging.path, final.path) == 0 {
                    try? fileManager.removeItem(at: staging)
                    return
                }
                // A file system without the exchange: fall back to two renames.
                let previous = final.deletingLastPathComponent().appendingPathComponent(
                    ".previous-\(final.lastPathComponent)-\(getpid())")
                try fileManager.moveItem(at: final, to: previous)
                try fileManager.moveItem(at: staging, to: final)
                try? fileManager.removeItem(at: previous)
            } else {
                try fileManager.moveItem(at: staging, to: final)
            }
        } catch {
            throw OutputError("cannot move the report into \(final.path): \(error.localizedDescription)")
        }
    }

    /// Removes the staging and previous-report folders that a killed run left in a pipeline's
    /// folder. Call it only while holding the pipeline's run lock, so that no live run owns them.
    public static func removeLeftovers(in pipelineFolder: URL) {
        let fileManager = FileManager.default
        let names = (try? fileManager.contentsOfDirectory(atPath: pipelineFolder.path)) ?? []
        for name in names where name.hasPrefix(".staging-") || name.hasPrefix(".previous-") {
            try? fileManager.removeItem(at: pipelineFolder.appendingPathComponent(name))
        }
    }

    /// Removes the staging folder after a failure.
    public func abandon() {
        try? fileManager.removeItem(at: staging)
    }
}
