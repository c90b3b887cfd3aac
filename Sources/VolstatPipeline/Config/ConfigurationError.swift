public import VolstatCore

/// A mistake in a pipeline file: where it is (file, line, column, key path) and what was expected.
///
/// Rendered as `pipelines/x.yaml:12:5: sources[1].format: 'json' is not a format; expected csv or xml`.
public struct ConfigurationError: VolstatFailure {
    public var kind: FailureKind { .usage }
    public var file: String
    public var line: Int?
    public var column: Int?
    public var keyPath: String
    public var problem: String

    public init(file: String, line: Int? = nil, column: Int? = nil, keyPath: String, problem: String) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.problem = problem
    }

    public var message: String {
        var location = file
        if let line { location += ":\(line)" }
        if let line = line, line > 0, let column { location += ":\(column)" }
        return keyPath.isEmpty ? "\(location): \(problem)" : "\(location): \(keyPath): \(problem)"
    }
}
