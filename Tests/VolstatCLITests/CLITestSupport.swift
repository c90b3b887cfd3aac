import Foundation
import VolstatTestSupport

/// The outcome of running the built `volstat` binary.
struct CommandResult {
    var status: Int32
    var standardOutput: String
    var standardError: String
}

/// Runs the `volstat` binary built beside the test bundle (or `$VOLSTAT_BIN`).
func volstat(
    _ arguments: [String], environment: [String: String] = [:], directory: URL? = nil
) throws -> CommandResult {
    try command(volstatBinary(), arguments, environment: environment, directory: directory)
}

/// Runs an executable (a script of the repository, say) and collects its output and exit status.
func command(
    _ executable: URL, _ arguments: [String], environment: [String: String] = [:], directory: URL? = nil
) throws -> CommandResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    var merged = ProcessInfo.processInfo.environment
    for (key, value) in environment { merged[key] = value }
    process.environment = merged
    process.currentDirectoryURL = directory ?? RepositoryPaths.root
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    // Read both pipes concurrently so that neither fills up and blocks the child.
    nonisolated(unsafe) var errorData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errorData = error.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return CommandResult(
        status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
        standardError: String(decoding: errorData, as: UTF8.self))
}

func volstatBinary() -> URL {
    if let override = ProcessInfo.processInfo.environment["VOLSTAT_BIN"] { return URL(fileURLWithPath: override) }
    var folder = Bundle.main.bundleURL
    for _ in 0..<4 {
        let candidate = folder.appendingPathComponent("volstat")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        folder.deleteLastPathComponent()
    }
    return RepositoryPaths.root.appendingPathComponent(".build/debug/volstat")
}
