import Foundation
public import VolstatCore

/// Reads one source file as canonical rows: resolves each canonical field to a column of the
/// reader, applies the `values` mapping, trims spaces, and replaces the identity number by its
/// `IdentityCheck`: no value it hands out holds the raw number (the bytes of a record that could
/// not be read at all stay in the reader's buffer as read, with nothing pointing at them; a
/// number whose key is left for later, see `defersPersonKeys`, only to `ReadAheadRows`).
public final class CanonicalRowReader: CanonicalRow {
    public let dataset: Dataset
    public var file: String { reader.name }
    public var line: Int {
        if let csv { return csv._withUnsafeGuaranteedRef { $0.line } }
        return reader.line
    }
    public private(set) var identity: IdentityCheck?
    public private(set) var maskedIdentityNumber: String?
    /// When set, a valid identity number's person key is left to be computed later: `identity`
    /// then has none, and `pendingPersonKey` holds what `Pseudonymiser.personKey(of:)` needs
    /// (the normalised number, which therefore stays inside this module: only `ReadAheadRows`
    /// sets this, and computes the key before it hands the identity on).
    var defersPersonKeys = false
    /// The current row's number left for later (see `defersPersonKeys`), else nil.
    private(set) var pendingPersonKey: PendingPersonKey?
    /// Why the record could not be read at all (ragged, malformed, invalid encoding).
    public var problem: RecordProblem? {
        if let csv { return csv._withUnsafeGuaranteedRef { $0.problem } }
        return reader.problem
    }
    public var bytesConsumed: Int { reader.bytesConsumed }
    /// See `RecordReader.offset`.
    public var offset: Int? { reader.offset }

    private let reader: any RecordReader
    /// The same reader when it is a CSV reader, called directly rather than through the protocol,
    /// and unretained (`reader` holds it): through a strong reference every call cost a retain
    /// and a release, atomic writes that in some runs took a quarter of the reading thread's
    /// time (its header shared a cache line with memory the other thread wrote).
    private let csv: Unmanaged<CSVReader>?
    /// The same reader when it is a CSV reader and the source maps no values: `layOutFields`
    /// then points into the reader's chunk instead of copying. Unretained, as `csv`.
    private let directCSV: Unmanaged<CSVReader>?
    /// Per canonical field, the reader's slot (-1: no column), in memory of its own, for the
    /// per-field loop of `layOutFields` (no bounds or uniqueness checks of an array).
    private let slotTable: UnsafeMutableBufferPointer<Int>
    /// `slotTable` with -1 for the identity number, whose value is never laid out: the loop of
    /// `layOutFields` then needs no test for it.
    private let laidOutSlots: UnsafeMutableBufferPointer<Int>
    private let names: [String]
    private let mappedValues: [[String: Range<Int>]?]
    private let mappedBytes: ByteArena
    let pseudonymiser: Pseudonymiser?
    private let legacy: LegacyIdentityPolicy
    private let verifyIdentity: Bool
    private let identityField: Int?

    /// - Throws: `MappingError` when a required field has no column in the source; `InputError`
    ///   when the file is empty (no header row), which makes it an unreadable file, not a mistake in
    ///   the pipeline file.
    public init(
        reader: any RecordReader, mapping: FieldMapping, pseudonymiser: Pseudonymiser?,
        legacy: LegacyIdentityPolicy = .convert, verifyIdentity: Bool = true
    ) throws {
        self.verifyIdentity = verifyIdentity
        self.reader = reader
        self.dataset = mapping.dataset
        self.pseudonymiser = pseudonymiser
        self.legacy = legacy
        names = mapping.sourceNames
        if reader.fieldNames.isEmpty {
            throw InputError("\(reader.name): the file is empty: it has no header row")
        }
        var slotOfName: [String: Int] = [:]
        for (slot, name) in reader.fieldNames.enumerated() where slotOfName[name] == nil { slotOfName[name] = slot }
        let slots = names.map { slotOfName[$0] ?? -1 }
        let missing = zip(mapping.dataset.fields, slots).filter { field, slot in
            slot < 0 && mapping.dataset.requiredFields.contains(field)
        }
        if !missing.isEmpty {
            let list = missing.map { "\($0.0) (looked for '\(mapping.names[$0.0] ?? $0.0)')" }.joined(separator: ", ")
            let found = reader.fieldNames.prefix(30).joined(separator: ", ")
            throw MappingError(
                message:
                    "\(reader.name): no column for required field\(missing.count == 1 ? "" : "s") \(list); "
                    + "the file has: \(found). Map the source's name under `columns` (CSV) or `fields` (XML)."
            )
        }
        // Another field read from the identity number's column would hand the raw number on.
        if let identity = mapping.dataset.identityNumberField, slots[identity] >= 0,
            case let sharing = slots.indices.filter({ $0 != identity && slots[$0] == slots[identity] }),
            !sharing.isEmpty
        {
            let fields = sharing.map { mapping.dataset.fields[$0] }.joined(separator: ", ")
            throw MappingError(
                message:
                    "\(reader.name): \(fields) would be read from column '\(mapping.sourceNames[identity])', the identity number's; "
                    + "identity numbers are only ever pseudonymised, so map \(fields) to another column")
        }
        let arena = ByteArena()
        mappedValues = mapping.dataset.fields.map { field in
            guard let table = mapping.values[field] else { return nil }
            var ranges: [String: Range<Int>] = [:]
            for (source, canonical) in table {
                let start = arena.count
                var canonical = canonical
                canonical.withUTF8 { arena.append(UnsafeRawBufferPointer($0)) }
                ranges[source.trimmingCharacters(in: .whitespaces)] = start..<arena.count
            }
            return ranges
        }
        mappedBytes = arena
        identityField = mapping.dataset.identityNumberField
        csv = (reader as? CSVReader).map { Unmanaged.passUnretained($0) }
        directCSV = mappedValues.allSatisfy { $0 == nil } ? csv : nil
        // Allocated last, once nothing can throw, so that `deinit` frees it.
        slotTable = .allocate(capacity: slots.count)
        _ = slotTable.initialize(from: slots)
        laidOutSlots = .allocate(capacity: slots.count)
        _ = laidOutSlots.initialize(from: slots.indices.map { $0 == identityField ? -1 : slots[$0] })
    }

    deinit {
        slotTable.deallocate()
        laidOutSlots.deallocate()
    }

    /// Lays the current row's values out for a batch: writes each field's offset from `base` and
    /// length to `spans` (two words per field; length -1 for a field `value` returns nil for).
    /// Returns the record's length when the values lie in the reader's chunk, which the batch
    /// must then hold while it uses them (`recordChunk(unless:)`); nil when they were copied into
    /// `arena` (their offsets are then from the arena's start, and `base` is not used).
    ///
    /// Equivalent to appending `value(field)` for every field to `arena`, but for a CSV source
    /// without value mappings nothing is copied: the spans point into the reader's chunk. The
    /// identity number's bytes there are overwritten with spaces, so that no value handed on
    /// holds the raw number; read `hasIdentityNumber` before.
    func layOutFields(to spans: UnsafeMutablePointer<Int>, arena: ByteArena, base: UnsafeRawPointer) -> Int? {
        let fieldCount = slotTable.count
        guard let direct = directCSV else {
            for field in 0..<fieldCount {
                guard let value = value(field) else {
                    spans[2 * field] = 0
                    spans[2 * field + 1] = -1
                    continue
                }
                spans[2 * field] = arena.count
                spans[2 * field + 1] = value.count
                arena.append(value)
            }
            return nil
        }
        return direct._withUnsafeGuaranteedRef { csv in layOutFields(of: csv, to: spans, base: base) }
    }

    private func layOutFields(of csv: CSVReader, to spans: UnsafeMutablePointer<Int>, base: UnsafeRawPointer) -> Int {
        let record = csv.recordBytes
        let bytes = record.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let offset = UnsafeRawPointer(bytes) - base
        let present = csv.valueCount
        let identityField = identityField ?? -1
        if identityField >= 0, case let slot = slotTable[identityField], slot >= 0, slot < present {
            let (start, count) = csv.valueExtent(slot)
            (bytes + start).update(repeating: 0x20, count: count)
        }
        // Offsets and lengths are within one record in memory: no arithmetic here can overflow.
        let slots = laidOutSlots
        let values = csv.valueSpans
        var field = 0
        while field < slots.count {
            let slot = slots[field]
            // One unsigned comparison for `0 <= slot < present`.
            if UInt(bitPattern: slot) < UInt(bitPattern: present) {
                let start = values[slot].start
                let count = values[slot].end &- start
                // Nearly every value starts and ends with a byte above the space; an empty value has
                // nothing to trim.
                if count == 0 || (bytes[start] > 0x20 && bytes[start &+ count &- 1] > 0x20) {
                    spans[2 &* field] = offset &+ start
                    spans[2 &* field &+ 1] = count
                } else {
                    let trimmed = Self.trimmed(UnsafePointer(bytes), start..<(start &+ count))
                    spans[2 &* field] = offset &+ trimmed.lowerBound
                    spans[2 &* field &+ 1] = trimmed.count
                }
            } else {
                spans[2 &* field] = 0
                spans[2 &* field &+ 1] = -1
            }
            field &+= 1
        }
        return record.count
    }

    /// See `CSVReader.recordChunk(unless:)`; nil also when the values are copied.
    func recordChunk(unless known: Int) -> (chunk: ByteChunk, number: Int)? {
        directCSV?._withUnsafeGuaranteedRef { $0.recordChunk(unless: known) }
    }

    /// Advances to the next row; false at the end of the file.
    public func next() throws -> Bool {
        pendingPersonKey = nil
        guard try reader.next() else { return false }
        identity = nil
        maskedIdentityNumber = nil
        // `pseudonymiser!` rather than a binding, which retained and released it for every row.
        if reader.problem == nil, let identityField, pseudonymiser != nil, let raw = rawValue(identityField),
            raw.count > 0
        {
            identity = pseudonymiser!.check(
                raw, legacy: legacy, verify: verifyIdentity, deferKey: defersPersonKeys, pending: &pendingPersonKey)
            if identity?.problem != nil {
                maskedIdentityNumber = ResidentIdentityNumber.masked(String(decoding: raw, as: UTF8.self))
            }
        }
        return true
    }

    public func value(_ field: Int) -> UnsafeRawBufferPointer? {
        guard field != identityField, let raw = rawValue(field) else { return nil }
        guard let table = mappedValues[field], raw.count > 0 else { return raw }
        let key = String(decoding: raw, as: UTF8.self)
        guard let range = table[key] else { return raw }
        return mappedBytes.bytes(start: range.lowerBound, count: range.count)
    }

    /// Whether the row has a non-empty identity number (which `value` never returns).
    public var hasIdentityNumber: Bool {
        guard let identityField, let raw = rawValue(identityField) else { return false }
        return raw.count > 0
    }

    public func sourceName(_ field: Int) -> String { names[field] }

    /// A field's bytes without surrounding spaces, before value mapping.
    private func rawValue(_ field: Int) -> UnsafeRawBufferPointer? {
        let slot = slotTable[field]
        guard slot >= 0 else { return nil }
        let value = csv.map { csv in csv._withUnsafeGuaranteedRef { $0.value(at: slot) } } ?? reader.value(at: slot)
        guard let bytes = value else { return nil }
        guard let base = bytes.baseAddress else { return bytes }
        return UnsafeRawBufferPointer(
            rebasing: bytes[Self.trimmed(base.assumingMemoryBound(to: UInt8.self), 0..<bytes.count)])
    }

    /// `range` of `bytes` without leading and trailing spaces and tabs.
    @inline(__always)
    private static func trimmed(_ bytes: UnsafePointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
        var start = range.lowerBound
        var end = range.upperBound
        // Nearly every value starts and ends with a byte above the space: one test for both.
        if start < end, bytes[start] > 0x20, bytes[end - 1] > 0x20 { return range }
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return start..<end
    }
}
