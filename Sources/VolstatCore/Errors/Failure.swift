/// What kind of failure an error is; the command line turns it into an exit code in one place.
///
/// - `usage`: the command line or the pipeline file is wrong (exit 2).
/// - `input`: an input could not be read or parsed at all (exit 3).
/// - `output`: an output could not be written (exit 3).
public enum FailureKind: String, Sendable {
    case usage
    case input
    case output
}

/// An error that a user can act on: what went wrong, where, and what was expected.
///
/// Every module's error type conforms, so that the command line can render any of them
/// the same way and choose the exit code from `kind`.
public protocol VolstatFailure: Error, CustomStringConvertible {
    /// Whether the user, the input or the output is at fault.
    var kind: FailureKind { get }
    /// The full user-facing message, including the location when there is one.
    var message: String { get }
}

extension VolstatFailure {
    public var description: String { message }
}

/// Where in an input a finding or an error is: the file, the line (1-based), and, when known,
/// the column (1-based byte) or the field name.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int?
    public var field: String?

    public init(file: String, line: Int, column: Int? = nil, field: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
    }

    /// `file:line:column` as compilers print it, followed by the field when there is one.
    public var description: String {
        var text = "\(file):\(line)"
        if let column { text += ":\(column)" }
        if let field { text += " (field \(field))" }
        return text
    }
}
