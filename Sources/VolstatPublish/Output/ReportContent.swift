public import Foundation
import VolstatCore

/// Every file of a report, in memory, by relative path: what the aggregate stage hands to the
/// publish stage. It is saved in the run's work folder when the aggregate stage finishes, so that
/// `volstat run --resume` can publish it without reading the inputs again.
public struct ReportContent: Sendable, Equatable {
    public private(set) var files: [(path: String, bytes: [UInt8])] = []

    public init() {}

    public static func == (a: ReportContent, b: ReportContent) -> Bool {
        a.files.map(\.path) == b.files.map(\.path) && a.files.map(\.bytes) == b.files.map(\.bytes)
    }

    public mutating func add(_ path: String, _ bytes: [UInt8]) { files.append((path, bytes)) }

    public mutating func add(_ path: String, text: String) { add(path, Array(text.utf8)) }

    public func bytes(of path: String) -> [UInt8]? { files.first { $0.path == path }?.bytes }

    /// Saves the files under `folder`, atomically: into a sibling folder first, renamed at the end.
    public func save(to folder: URL) throws {
        let manager = FileManager.default
        let partial = folder.deletingLastPathComponent().appendingPathComponent(folder.lastPathComponent + ".partial")
        do {
            if manager.fileExists(atPath: partial.path) { try manager.removeItem(at: partial) }
            let index = files.map(\.path).joined(separator: "\n") + "\n"
            try DurableFiles.write(
                files.map { (partial.appendingPathComponent($0.path), $0.bytes) }
                    + [(partial.appendingPathComponent(".files"), Array(index.utf8))])
            if manager.fileExists(atPath: folder.path) { try manager.removeItem(at: folder) }
            try manager.moveItem(at: partial, to: folder)
            try DurableFiles.syncFolder(folder.deletingLastPathComponent())
        } catch let error as OutputError {
            throw error
        } catch {
            throw OutputError("cannot save the stage output in \(folder.path): \(error.localizedDescription)")
        }
    }

    /// Loads files saved by `save(to:)`; nil when the folder is missing or incomplete.
    public static func load(from folder: URL) -> ReportContent? {
        guard let index = try? String(contentsOf: folder.appendingPathComponent(".files"), encoding: .utf8) else {
            return nil
        }
        var content = ReportContent()
        for path in index.split(separator: "\n") {
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(String(path)).path)
            else {
                return nil
            }
            content.add(String(path), [UInt8](data))
        }
        return content
    }
}
