/// One rule violated by one row: which rule, in which field, why, and the offending value
/// (identity numbers masked).
public struct Finding: Sendable, Equatable {
    public var rule: Rule
    /// The canonical field, when the finding is about one.
    public var field: String?
    /// The source's own name for the field (CSV header, XML path).
    public var column: String?
    public var message: String
    public var value: String?

    public init(rule: Rule, field: String? = nil, column: String? = nil, message: String, value: String? = nil) {
        self.rule = rule
        self.field = field
        self.column = column
        self.message = message
        self.value = value
    }
}
