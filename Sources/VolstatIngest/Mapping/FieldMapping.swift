public import VolstatCore

/// How one source's own fields and values map onto a dataset's canonical fields, as written in
/// the pipeline file's `columns` (CSV), `fields` (XML) and `values`.
public struct FieldMapping: Sendable {
    public var dataset: Dataset
    /// Canonical field -> the source's name for it: a CSV header, or an XML field (`@id`, `vid`,
    /// `volunteer/name`). A canonical field without an entry is looked up under its own name.
    public var names: [String: String]
    /// Canonical field -> (source value -> canonical value). Values without an entry pass unchanged.
    public var values: [String: [String: String]]

    public init(dataset: Dataset, names: [String: String] = [:], values: [String: [String: String]] = [:]) {
        self.dataset = dataset
        self.names = names
        self.values = values
    }

    /// The source's name for each canonical field, in the dataset's order.
    public var sourceNames: [String] { dataset.fields.map { names[$0] ?? $0 } }
}

/// A required canonical field has no column in a source.
public struct MappingError: VolstatFailure {
    public var kind: FailureKind { .usage }
    public var message: String
}
