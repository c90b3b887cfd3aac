import ArgumentParser
import VolstatCore
import VolstatIngest

/// `volstat extract`: prints the records volstat reads from one export as JSON Lines.
struct Extract: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the records of one export as JSON Lines, to see what volstat makes of it.",
        discussion: """
            Each record becomes one JSON object whose keys are the CSV header names, or for XML the \
            record's attributes (@name) and child elements. Gzip input (.gz) is decompressed as it is \
            read. Records that cannot be read (ragged rows, stray quotes, invalid bytes) are reported \
            on standard error with their line, and the exit code is then 3.
            """
    )

    @Argument(help: "The export to read (CSV or XML, optionally gzip-compressed).")
    var file: String

    @Option(help: "csv or xml (default: from the file name).")
    var format: String?

    @Option(help: "utf-8, gb18030 or auto.")
    var encoding: String = "auto"

    @Option(help: "XML: the element that holds one record (default: the first child of the root).")
    var record: String?

    @Option(help: "CSV: the field delimiter, one character (\\t for tab).")
    var delimiter: String = ","

    func run() throws {
        try FailureReporting.run {
            let options = try resolveOptions()
            let reader = try RecordReaders.open(
                path: file, format: options.format, encoding: options.encoding, dialect: options.dialect,
                recordElement: record, fields: nil)
            let output = JSONLinesWriter()
            defer { output.flush() }
            var problems = 0
            while try reader.next() {
                if let problem = reader.problem {
                    problems += 1
                    let column = problem.column.map { ":\($0)" } ?? ""
                    StandardError.write("\(file):\(reader.line)\(column): \(problem.ruleCode): \(problem.message)\n")
                    continue
                }
                output.write(reader)
            }
            if problems > 0 {
                StandardError.write("volstat: \(problems) record\(problems == 1 ? "" : "s") could not be read\n")
                return FailureReporting.inputOutput
            }
            return 0
        }
    }

    private func resolveOptions() throws -> (format: InputFormat, encoding: TextEncoding, dialect: CSVDialect) {
        let resolved: InputFormat
        if let given = format {
            guard let parsed = InputFormat(rawValue: given.lowercased()) else {
                throw UsageError("--format must be csv or xml, not '\(given)'")
            }
            resolved = parsed
        } else {
            guard let guessed = InputFormat.guess(path: file) else {
                throw UsageError("cannot tell the format of '\(file)' from its name: give --format csv or --format xml")
            }
            resolved = guessed
        }
        guard let textEncoding = TextEncoding(name: encoding) else {
            throw UsageError("--encoding must be utf-8, gb18030 or auto, not '\(encoding)'")
        }
        guard let byte = CSVDialect.delimiterByte(delimiter) else {
            throw UsageError(
                "--delimiter must be one ASCII character other than a quote or a line break, not \(delimiter.debugDescription)"
            )
        }
        return (resolved, textEncoding, CSVDialect(delimiter: byte))
    }
}

/// A mistake on the command line.
struct UsageError: VolstatFailure {
    var kind: FailureKind { .usage }
    var message: String
    init(_ message: String) { self.message = message }
}
