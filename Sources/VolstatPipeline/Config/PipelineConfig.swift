public import VolstatCore
public import VolstatIngest
public import VolstatValidate

/// A pipeline file (`pipelines/NAME.yaml`), checked: every key known, every value of the right
/// kind, every required field of a dataset mapped. See README.md for the shape.
public struct PipelineConfig: Sendable {
    /// One export of a platform: where its files are and how its fields map onto a dataset.
    public struct Source: Sendable {
        public var dataset: Dataset
        public var format: InputFormat
        /// The glob as written; relative to the working directory, or else to the pipeline file's folder.
        public var path: String
        public var encoding: TextEncoding
        public var dialect: CSVDialect
        public var mapping: FieldMapping
        /// XML: the element that holds one record.
        public var recordElement: String?
        /// The key path of this source in the file, e.g. `sources[1]`, for messages.
        public var keyPath: String
    }

    /// When `as_of` is: a fixed day, or the day before the run.
    public enum AsOf: Sendable, Equatable {
        case date(CivilDate)
        case yesterday

        public func resolve(today: CivilDate) -> CivilDate {
            switch self {
            case .date(let date): return date
            case .yesterday: return CivilDate(daysSinceEpoch: today.daysSinceEpoch - 1)
            }
        }
    }

    public var file: String
    public var name: String
    public var asOf: AsOf
    public var sources: [Source]
    public var population: String?
    public var validation: ValidationPolicy
    /// Political status codes counted as party members: 01 and 02 unless `aggregate.party_statuses` says otherwise.
    public var partyStatuses: Set<UInt8>
    public var drift: DriftPolicy
    public var publishFormats: [String]
    public var suppressBelow: Int
}
