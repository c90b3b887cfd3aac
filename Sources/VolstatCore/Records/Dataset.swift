/// The canonical datasets of DESIGN.md and their fields: the contract between ingest and the
/// later stages. A source maps its own headers onto these names.
public enum Dataset: String, Sendable, CaseIterable, CustomStringConvertible {
    case volunteers
    case serviceRecords = "service_records"
    case placements
    case orders
    case organizations

    public var description: String { rawValue }

    /// Every canonical field of the dataset, in the documented order.
    public var fields: [String] { Self.fieldTable[self]! }

    private static let fieldTable: [Dataset: [String]] = [
        .volunteers: [
            "source_id", "id_number", "gender", "birth_date", "political_status", "education",
            "household", "region_code", "registered_at", "status", "org_id",
        ],
        .serviceRecords: [
            "record_id", "volunteer_id", "activity_id", "org_id", "region_code", "started_at",
            "ended_at", "hours", "verified",
        ],
        .placements: [
            "placement_id", "volunteer_id", "programme_year", "stage", "recruiting_province",
            "service_region_code", "special_programme", "post_level", "start_date", "end_date",
            "outcome", "degree", "political_status", "rating",
        ],
        .orders: [
            "order_id", "service_type", "requested_at", "reviewed_at", "dispatched_at",
            "accepted_at", "completed_at", "rated_at", "rating", "volunteer_id", "region_code",
        ],
        .organizations: ["org_id", "name", "uscc", "region_code", "registered_at"],
    ]

    /// The index of the identity number among `fields`, for the datasets that have one.
    public var identityNumberField: Int? { fields.firstIndex(of: "id_number") }

    /// The fields a source must provide (map) for the dataset. Beyond DESIGN.md's bold fields,
    /// service records need `started_at` and orders `requested_at` (only a dated record can be
    /// placed in a period), and placements `stage` and `service_region_code` (every placement
    /// statistic is by stage and service province).
    public var requiredFields: [String] {
        switch self {
        case .volunteers: return ["source_id", "id_number", "region_code", "registered_at"]
        case .serviceRecords: return ["record_id", "volunteer_id", "hours", "started_at"]
        case .placements: return ["placement_id", "volunteer_id", "stage", "service_region_code"]
        case .orders: return ["order_id", "requested_at"]
        case .organizations: return ["org_id"]
        }
    }

    /// Whether `volstat run` computes statistics from this dataset yet.
    public var isSupportedByRun: Bool { self != .organizations }
}
