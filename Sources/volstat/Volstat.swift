import ArgumentParser

#if canImport(Glibc)
    import Glibc
#endif

/// The `volstat` command line: a thin layer over the pipeline library.
@main
struct Volstat: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volstat",
        abstract: "Ingest, validate and aggregate volunteer-service exports into published statistics.",
        discussion: """
            Exit codes: 0 success; 1 the data failed the validation thresholds; 2 usage or \
            configuration error; 3 input or output error.
            """,
        version: "0.1.0",
        subcommands: [Run.self, Runs.self, Extract.self]
    )

    /// Parses and runs a command. A mistake on the command line is one `volstat: error:` line and
    /// exit 2, as for every other usage error (argument-parser's own default would be 64). A closed
    /// pipe on standard output or error (`volstat ... | head`) must not kill a run half-way, so
    /// SIGPIPE is ignored and the write fails instead.
    static func main() {
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FailureReporting.printError("\(message(for: error)) (see `volstat help`)")
                Glibc.exit(FailureReporting.usage)
            }
            exit(withError: error)
        }
    }
}
