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
/// the number is valid, or the problem when it is not.
///
/// Plain data, copied per row from the reading thread to the validator. The masked number of a
/// row with a problem (`3601**********123X`) is the row's `maskedIdentityNumber`: a `String` here
/// made every copy go through reference counting and generic value operations.
public struct IdentityCheck: Sendable, Equatable {
    public var personKey: PersonKey?
    public var birthDate: CivilDate?
    public var problem: ResidentIdentityNumber.Problem?
    /// A 15-digit legacy number was converted to 18 digits.
    public var upgradedLegacy: Bool

    public init(
        personKey: PersonKey? = nil, birthDate: CivilDate? = nil, problem: ResidentIdentityNumber.Problem? = nil,
        upgradedLegacy: Bool = false
    ) {
        self.personKey = personKey
        self.birthDate = birthDate
        self.problem = problem
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
    /// The row's identity number with all but its first and last four characters masked, when
    /// `identity` has a problem (for the reject file and messages); nil otherwise.
    var maskedIdentityNumber: String? { get }
    /// What the reader computed ahead for a field as asked by a `RowPreparation` (a hash, a
    /// parsed date), `distance` rows further on (0: this row); nil when it did not (not asked,
    /// field absent or empty, row not read yet). The validator works the same either way.
    func prepared(_ field: Int, ahead distance: Int) -> Int64?
    /// The identity check of the row `distance` rows further on, when the reader already holds it
    /// (computing its person key first if the reader left that to the caller's thread).
    func identityAhead(_ distance: Int) -> IdentityCheck?
    /// The current row's fields for the checks of one row; valid until the reader moves on.
    var fields: RowFields { get }
}

extension CanonicalRow {
    public func prepared(_ field: Int, ahead distance: Int) -> Int64? { nil }
    public func identityAhead(_ distance: Int) -> IdentityCheck? { nil }
    public var fields: RowFields { RowFields(row: self) }
}

/// The fields of the current row as the checks read them, many times per row: straight from the
/// reader's buffers when it has them laid out (`ReadAheadRows`), so that a field costs a few
/// loads and no call through the protocol; otherwise through `CanonicalRow`.
public struct RowFields {
    /// The reader's layout of the current row: per field its start as an offset from `bytes`
    /// (which may lead into another buffer of the reader's) and its length (-1 when absent), and
    /// per field of this and the following rows the prepared value.
    public struct Layout {
        public var spans: UnsafePointer<Int>
        public var bytes: UnsafeRawPointer
        public var prepared: UnsafePointer<Int64>
        public var fieldCount: Int
        /// Rows held after the current one (the limit of `prepared(_:ahead:)`).
        public var rowsAhead: Int
        /// The value in `prepared` that means nothing was prepared.
        public var notPrepared: Int64
        /// The current row's result of `RowPreparation.lookup`, or `notPrepared`.
        public var resolved: Int64

        public init(
            spans: UnsafePointer<Int>, bytes: UnsafeRawPointer, prepared: UnsafePointer<Int64>, fieldCount: Int,
            rowsAhead: Int, notPrepared: Int64, resolved: Int64
        ) {
            self.spans = spans
            self.bytes = bytes
            self.prepared = prepared
            self.fieldCount = fieldCount
            self.rowsAhead = rowsAhead
            self.notPrepared = notPrepared
            self.resolved = resolved
        }
    }

    @usableFromInline let layout: Layout?
    // The row outlives every RowFields made of it (one row's checks); a strong reference would
    // cost a retain and a release per row.
    @usableFromInline unowned(unsafe) let row: any CanonicalRow

    public init(row: any CanonicalRow, layout: Layout? = nil) {
        self.row = row
        self.layout = layout
    }

    /// See `CanonicalRow.value(_:)`.
    @inlinable @inline(__always)
    public func value(_ field: Int) -> UnsafeRawBufferPointer? {
        guard let layout else { return row.value(field) }
        let length = layout.spans[2 * field + 1]
        guard length >= 0 else { return nil }
        return Self.bytes(layout.bytes, offset: layout.spans[2 * field], count: length)
    }

    /// The `count` bytes at `offset` from `base`. The offset may reach from `base` into another
    /// allocation (a reader's chunk), so it is added as an integer: pointer arithmetic must stay
    /// within one allocation.
    @inlinable @inline(__always)
    public static func bytes(_ base: UnsafeRawPointer, offset: Int, count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: Int(bitPattern: base) &+ offset), count: count)
    }

    /// The value the reading thread prepared for `field`, or else `step` computed here from the
    /// field's `bytes`: the same value either way.
    @inlinable @inline(__always)
    public func prepared(_ field: Int, else step: RowPreparation.Step, _ bytes: UnsafeRawBufferPointer) -> Int64 {
        prepared(field) ?? RowPreparation.compute(step, bytes)
    }

    /// What the reading thread found for the row's `RowPreparation.lookup` field: the table's
    /// value, or `RowPreparation.notFound`; nil when it did not look (the validator then does).
    @inlinable @inline(__always)
    public var resolved: Int64? {
        guard let layout, layout.resolved != layout.notPrepared else { return nil }
        return layout.resolved
    }

    /// See `CanonicalRow.prepared(_:ahead:)`.
    @inlinable @inline(__always)
    public func prepared(_ field: Int, ahead distance: Int = 0) -> Int64? {
        guard let layout else { return row.prepared(field, ahead: distance) }
        guard distance <= layout.rowsAhead else { return nil }
        let value = layout.prepared[distance * layout.fieldCount + field]
        return value == layout.notPrepared ? nil : value
    }
}

/// Per-row work a reader on another thread can do for the validator, which then only looks
/// things up: the hash of a key field, the parsed value of a date, region code or hours field.
/// Indexed by field.
public struct RowPreparation: Sendable {
    public enum Step: Sendable {
        /// `ByteKeyTable.hash(_:seed:)` of the bytes.
        case keyHash(seed: UInt64)
        /// `FingerprintTable.fingerprint(_:seed:)` of the bytes.
        case fingerprint(seed: UInt64)
        /// `Timestamp(parsing:)` of the bytes as seconds since 1970, `RowPreparation.invalid` when
        /// it does not parse.
        case timestamp
        /// `RegionTable.parseCode` of the bytes, `RowPreparation.invalid` when it does not parse.
        case regionCode
        /// `Hours(parsing:)` of the bytes in hundredths, `RowPreparation.invalid` when it does not
        /// parse.
        case hours
    }

    /// The prepared value of a date, region code or hours field that does not parse.
    public static let invalid = Int64.min
    /// The result of `lookup` for a key that is not in the table.
    public static let notFound = Int64.min + 2
    /// How many rows ahead hash-table slots are loaded into cache, by the validator and by
    /// `lookup`.
    public static let lookahead = 8

    /// A key field looked up in a table on the reading thread, for the batches it had to wait for
    /// (like the `onlyWhenAhead` steps): the field needs a `keyHash` step with the table's seed,
    /// and nothing may change the table while the file is read. `RowFields.resolved` gives the
    /// result. The validator's lookups are cache misses in a table of millions; made here, they
    /// wait on the other core's memory accesses instead of its own.
    public struct KeyLookup: Sendable {
        public let field: Int
        public let table: ByteKeyTable.SlotView
    }

    public private(set) var lookup: KeyLookup?

    /// Looks `field` up in `table` while the reading thread is ahead (see `KeyLookup`).
    public mutating func lookUp(_ field: Int, in table: ByteKeyTable.SlotView) {
        lookup = KeyLookup(field: field, table: table)
    }

    public private(set) var steps: [Step?]
    /// Per field: the step is done only for batches the reading thread had to wait for (the
    /// validator is the slower of the two threads, so the reader has time to spare); otherwise
    /// the validator does the work itself. This balances the two threads as they go: which one
    /// is slower depends on the machine and on the size of the tables.
    public private(set) var onlyWhenAhead: [Bool]

    public init(fieldCount: Int) {
        steps = Array(repeating: nil, count: fieldCount)
        onlyWhenAhead = Array(repeating: false, count: fieldCount)
    }

    public mutating func set(_ field: Int, _ step: Step, onlyWhenAhead: Bool = false) {
        steps[field] = step
        self.onlyWhenAhead[field] = onlyWhenAhead
    }

    /// The prepared value of a non-empty field's bytes.
    @inline(__always)
    public static func compute(_ step: Step, _ bytes: UnsafeRawBufferPointer) -> Int64 {
        switch step {
        case .keyHash(let seed):
            return Int64(bitPattern: ByteKeyTable.hash(bytes, seed: seed))
        case .fingerprint(let seed):
            return Int64(bitPattern: FingerprintTable.fingerprint(bytes, seed: seed))
        case .timestamp:
            return Timestamp(parsing: bytes)?.secondsSinceEpoch ?? invalid
        case .regionCode:
            return RegionTable.parseCode(bytes).map(Int64.init) ?? invalid
        case .hours:
            return Hours(parsing: bytes)?.hundredths ?? invalid
        }
    }
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
