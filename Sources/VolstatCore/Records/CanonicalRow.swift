/// A pseudonymous person: the first 128 bits of HMAC-SHA256(secret, identity number).
///
/// Two rows with the same identity number have the same key; the number cannot be recovered
/// from the key without the secret.
public struct PersonKey: Sendable, Hashable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }
}

/// What ingest found out about a row's identity number before dropping it: the person key when
/// the number is valid, or the problem and a masked copy (`3601**********123X`) when it is not.
public struct IdentityCheck: Sendable, Equatable {
    public var personKey: PersonKey?
    public var birthDate: CivilDate?
    public var problem: ResidentIdentityNumber.Problem?
    /// The number with all but its first and last four characters masked; set only for a problem.
    public var masked: String?
    /// A 15-digit legacy number was converted to 18 digits.
    public var upgradedLegacy: Bool

    public init(
        personKey: PersonKey? = nil, birthDate: CivilDate? = nil, problem: ResidentIdentityNumber.Problem? = nil,
        masked: String? = nil, upgradedLegacy: Bool = false
    ) {
        self.personKey = personKey
        self.birthDate = birthDate
        self.problem = problem
        self.masked = masked
        self.upgradedLegacy = upgradedLegacy
    }
}

/// What to do with a legacy 15-digit identity number.
public enum LegacyIdentityPolicy: String, Sendable {
    /// Convert it to 18 digits (insert `19`, append the check character).
    case convert
    /// Reject the row (`id_number.length`).
    case reject
}

/// One row of a source, mapped onto a dataset's canonical fields: what the validate stage sees.
///
/// Values are UTF-8 bytes after the source's `values` mapping, with surrounding spaces removed,
/// valid until the reader moves on. The identity number is not among them: only its `IdentityCheck`.
public protocol CanonicalRow: AnyObject {
    var dataset: Dataset { get }
    /// The file the row comes from, as given in the pipeline.
    var file: String { get }
    /// The 1-based line on which the row starts.
    var line: Int { get }
    /// The value of a canonical field (by its index in `dataset.fields`); nil or empty when missing.
    func value(_ field: Int) -> UnsafeRawBufferPointer?
    /// The source's own name for a canonical field (CSV header, XML path), for messages.
    func sourceName(_ field: Int) -> String
    /// The result of checking the row's identity number, for datasets that have one.
    var identity: IdentityCheck? { get }
}

/// Field indexes of the `volunteers` dataset, in the order of `Dataset.volunteers.fields`.
public enum VolunteerField {
    public static let sourceID = 0
    public static let idNumber = 1
    public static let gender = 2
    public static let birthDate = 3
    public static let politicalStatus = 4
    public static let education = 5
    public static let household = 6
    public static let regionCode = 7
    public static let registeredAt = 8
    public static let status = 9
    public static let orgID = 10
}

/// Field indexes of the `service_records` dataset, in the order of `Dataset.serviceRecords.fields`.
public enum ServiceRecordField {
    public static let recordID = 0
    public static let volunteerID = 1
    public static let activityID = 2
    public static let orgID = 3
    public static let regionCode = 4
    public static let startedAt = 5
    public static let endedAt = 6
    public static let hours = 7
    public static let verified = 8
}

/// Field indexes of the `placements` dataset, in the order of `Dataset.placements.fields`.
public enum PlacementField {
    public static let placementID = 0
    public static let volunteerID = 1
    public static let programmeYear = 2
    public static let stage = 3
    public static let recruitingProvince = 4
    public static let serviceRegionCode = 5
    public static let specialProgramme = 6
    public static let postLevel = 7
    public static let startDate = 8
    public static let endDate = 9
    public static let outcome = 10
    public static let degree = 11
    public static let politicalStatus = 12
    public static let rating = 13
}

/// Field indexes of the `orders` dataset, in the order of `Dataset.orders.fields`.
public enum OrderField {
    public static let orderID = 0
    public static let serviceType = 1
    public static let requestedAt = 2
    public static let reviewedAt = 3
    public static let dispatchedAt = 4
    public static let acceptedAt = 5
    public static let completedAt = 6
    public static let ratedAt = 7
    public static let rating = 8
    public static let volunteerID = 9
    public static let regionCode = 10
}
