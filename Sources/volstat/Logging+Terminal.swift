import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// How log lines are written: plain text for a person at a terminal, JSON Lines for cron and log
/// collectors.
enum LogFormat: String, CaseIterable {
    case text, json

    /// JSON unless standard error is a terminal.
    static var automatic: LogFormat { isatty(2) == 1 ? .text : .json }
}

/// Writes log lines to standard error: `volstat: message` (warnings and errors marked) as text, or
/// one JSON object per line (time, level, message and metadata).
struct VolstatLogHandler: LogHandler {
    let format: LogFormat
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        switch format {
        case .text:
            let marker = event.level >= .warning ? "\(event.level): " : ""
            ProgressLine.shared.clear()
            StandardError.write("volstat: \(marker)\(event.message)\n")
        case .json:
            var object: [String: String] = [
                "time": ISO8601DateFormatter().string(from: Date()), "level": "\(event.level)",
                "message": "\(event.message)",
            ]
            for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
                object[key] = "\(value)"
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            if let data = try? encoder.encode(object) {
                StandardError.write(String(decoding: data, as: UTF8.self) + "\n")
            }
        }
    }
}

enum LoggingSetup {
    /// Sets up logging once for the process and returns the command's logger.
    static func logger(format: LogFormat, label: String) -> Logger {
        LoggingSystem.bootstrap { _ in VolstatLogHandler(format: format) }
        return Logger(label: label)
    }
}

/// A one-line progress display on a terminal: file, percent, MB/s and rows/s, redrawn at most
/// five times a second.
final class ProgressLine: @unchecked Sendable {
    static let shared = ProgressLine()
    private let lock = NSLock()
    private var enabled = false
    private var visible = false
    private var lastDraw = 0.0
    private var fileStart = 0.0
    private var currentFile = ""

    func enable() { lock.withLock { enabled = isatty(2) == 1 } }

    func update(file: String, bytes: Int, total: Int, rows: Int) {
        lock.withLock {
            guard enabled else { return }
            let now = Date().timeIntervalSince1970
            if file != currentFile {
                currentFile = file
                fileStart = now
            }
            guard now - lastDraw >= 0.2 || bytes >= total else { return }
            lastDraw = now
            let elapsed = max(now - fileStart, 0.001)
            let percent = total > 0 ? min(100, bytes * 100 / total) : 100
            let name = (file as NSString).lastPathComponent
            let line = String(
                format: "  reading %@  %3d%%  %.0f MB/s  %.0f rows/s", name, percent, Double(bytes) / 1e6 / elapsed,
                Double(rows) / elapsed)
            StandardError.write("\r\u{1B}[K" + line)
            visible = true
        }
    }

    func clear() {
        lock.withLock {
            guard visible else { return }
            StandardError.write("\r\u{1B}[K")
            visible = false
        }
    }
}
