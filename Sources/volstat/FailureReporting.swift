import ArgumentParser
import VolstatCore

#if canImport(Glibc)
    import Glibc
#endif

/// The one place where errors become terminal text and exit codes.
enum FailureReporting {
    static let dataFailed: Int32 = 1
    static let usage: Int32 = 2
    static let inputOutput: Int32 = 3

    /// Runs a command body; a `VolstatFailure` is printed as `volstat: error: ...` and exits with
    /// its code, never with a stack trace.
    static func run(_ body: () throws -> Int32) throws {
        let code: Int32
        do {
            code = try body()
        } catch let failure as any VolstatFailure {
            printError(failure.message)
            code = exitCode(for: failure.kind)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            printError("\(error)")
            code = inputOutput
        }
        if code != 0 { throw ExitCode(code) }
    }

    static func exitCode(for kind: FailureKind) -> Int32 {
        switch kind {
        case .usage: return usage
        case .input, .output: return inputOutput
        }
    }

    static func printError(_ message: String) {
        StandardError.write("volstat: error: \(message)\n")
    }
}

/// Unbuffered writes to standard error.
enum StandardError {
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in _ = Glibc.write(2, bytes.baseAddress, bytes.count) }
    }
}
