import ArgumentParser

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
}
