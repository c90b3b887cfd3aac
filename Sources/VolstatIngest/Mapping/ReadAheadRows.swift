import Foundation
public import VolstatCore

/// Canonical rows read ahead on a second thread: the thread opens the source, reads, tokenizes,
/// decodes, maps and pseudonymises its rows into batches, while the caller's thread validates and
/// aggregates the batch before. (A share of the person keys the reading thread may leave to the
/// caller's thread, which computes them in `identity`, see `PersonKeyShare`; the identity numbers
/// themselves never leave the ingest module.) Rows come out in file order, exactly as `CanonicalRowReader`
/// gives them, so the two are interchangeable; only the work is spread over two cores.
///
/// Memory is bounded: three batches of at most `rowsPerBatch` rows are in flight, with the
/// reader's chunks their rows point into (or their copied bytes), and the reader's spare chunks.
/// An error the reader throws is rethrown by `next()` after the rows read before it. The reading
/// thread has stopped once the rows are gone (`deinit` waits for it), so that what it reads
/// (the validator's source-id table, see `RowPreparation.KeyLookup`) is free to change after.
public final class ReadAheadRows: CanonicalRow {
    public let dataset: Dataset
    public let file: String
    public var line: Int { view.lines[position] }
    public var identity: IdentityCheck? { identityAhead(0) }
    public var maskedIdentityNumber: String? { current.maskedIdentityNumbers[position] }
    /// Why the record could not be read at all (ragged, malformed, invalid encoding).
    public var problem: RecordProblem? { view.problems[position] }
    /// Whether the row has a non-empty identity number (which `value` never returns).
    public var hasIdentityNumber: Bool { view.hasIdentityNumber[position] }
    /// Bytes of the file read up to the end of the current batch.
    public var bytesConsumed: Int { current.state.bytesConsumed }
    /// The file's row count extrapolated from its first batch (plain files only), known from
    /// the first row on; nil when the file is compressed or transcoded, or fits in one batch.
    public private(set) var estimatedRows: Int?

    private let names: [String]
    private let fileBytes: Int?
    /// Computes the person keys the reading thread left to this thread (see `produce`).
    private let pseudonymiser: Pseudonymiser?
    private let fieldCount: Int
    /// Whether the dataset has identity numbers (else `identity` is always nil and batches keep none).
    private let hasIdentities: Bool
    private let channel: BatchChannel<RowBatch>
    /// Signalled when the reading thread has stopped.
    private let stopped: DispatchSemaphore
    private var current: RowBatch
    /// The current batch's storage, so that a field costs no reference counting.
    private var view: RowBatch.View
    /// The current row's spans in `view`.
    private var rowSpans: UnsafeMutablePointer<Int>
    private var position = -1

    /// Opens the source on the reading thread and waits until it is open.
    ///
    /// - Parameter open: opens the source; runs on the reading thread, and what it throws
    ///   (a missing column, an empty file) is rethrown here.
    /// - Parameter preparation: what to compute ahead per row for the validator (for the file's
    ///   dataset); `prepared(_:ahead:)` returns it.
    ///   - fileBytes: the file's size, for `estimatedRows`.
    public convenience init(
        file: String, fileBytes: Int? = nil, rowsPerBatch: Int = 4096, preparation: RowPreparation? = nil,
        open: @escaping @Sendable () throws -> CanonicalRowReader
    ) throws {
        try self.init(
            file: file, fileBytes: fileBytes, rowsPerBatch: rowsPerBatch, preparation: preparation,
            personKeyShare: PersonKeyShare(), open: open)
    }

    /// - Parameter personKeyShare: how many of the person keys the reading thread leaves to this
    ///   thread (a fixed share for tests; by default it follows which thread waits).
    init(
        file: String, fileBytes: Int?, rowsPerBatch: Int, preparation: RowPreparation?,
        personKeyShare: PersonKeyShare, open: @escaping @Sendable () throws -> CanonicalRowReader
    ) throws {
        self.file = file
        self.fileBytes = fileBytes
        let channel = BatchChannel<RowBatch>(batches: 3)
        self.channel = channel
        let opened = PendingResult<(Dataset, [String], Pseudonymiser?)>()
        let stopped = DispatchSemaphore(value: 0)
        self.stopped = stopped
        let thread = Thread {
            defer { stopped.signal() }
            let reader: CanonicalRowReader
            do {
                reader = try open()
            } catch {
                opened.resolve(.failure(error))
                return
            }
            opened.resolve(
                .success(
                    (reader.dataset, (0..<reader.dataset.fields.count).map(reader.sourceName), reader.pseudonymiser)))
            Self.produce(
                reader, into: channel, rowsPerBatch: rowsPerBatch, preparation: preparation,
                personKeys: personKeyShare)
        }
        thread.stackSize = 8 << 20
        thread.start()
        let (dataset, names, pseudonymiser) = try opened.wait().get()
        self.dataset = dataset
        self.names = names
        self.pseudonymiser = pseudonymiser
        fieldCount = dataset.fields.count
        hasIdentities = dataset.identityNumberField != nil
        current = RowBatch(fieldCount: fieldCount, capacity: 0, storesIdentities: false)
        view = current.view
        rowSpans = view.spans
    }

    deinit {
        channel.cancel()
        stopped.wait()
    }

    /// Waits (up to `timeout` seconds) until the reading thread has filled every batch it may
    /// and waits for one to come back; false on timeout. For tests of what it does once ahead.
    func waitUntilReaderIsAhead(timeout: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !channel.isReaderWaiting {
            if Date() > deadline { return false }
            Thread.sleep(forTimeInterval: 0.001)
        }
        return true
    }

    /// Advances to the next row; false at the end of the file.
    public func next() throws -> Bool {
        position += 1
        if position < current.count {
            rowSpans += 2 * fieldCount
            return true
        }
        while let next = try channel.batch(after: current) {
            if current.capacity == 0, let fileBytes, let offset = next.offset, offset > 0, !next.state.isLast {
                // Capped (see `InputFile.minimumBytesPerRow`): a first batch of unusually short
                // rows must not size the tables for far more rows than the file can hold.
                estimatedRows = min(
                    Int(Double(fileBytes) * Double(next.count) / Double(offset)),
                    fileBytes / InputFile.minimumBytesPerRow)
            }
            current = next
            view = next.view
            rowSpans = view.spans
            position = 0
            if current.count > 0 { return true }
        }
        position = current.count
        return false
    }

    public func value(_ field: Int) -> UnsafeRawBufferPointer? { fields.value(field) }

    public func sourceName(_ field: Int) -> String { names[field] }

    public func prepared(_ field: Int, ahead distance: Int) -> Int64? { fields.prepared(field, ahead: distance) }

    public var fields: RowFields {
        RowFields(
            row: self,
            layout: RowFields.Layout(
                spans: UnsafePointer(rowSpans), bytes: UnsafeRawPointer(view.bytes),
                prepared: UnsafePointer(view.prepared + position * fieldCount), fieldCount: fieldCount,
                rowsAhead: current.count - position - 1, notPrepared: RowBatch.notPrepared,
                resolved: position >= 0 && position < current.count ? view.resolved[position] : RowBatch.notPrepared))
    }

    public func identityAhead(_ distance: Int) -> IdentityCheck? {
        hasIdentities && position >= 0 && position + distance < current.count
            ? identity(ofRow: position + distance) : nil
    }

    /// Rows whose person key this thread computed, because the reading thread left it (for
    /// tests and diagnostics).
    private(set) var personKeysComputedHere = 0

    /// A row's identity check, its person key computed here first if the reading thread left it
    /// (kept for the next call, and the number it was computed from cleared).
    @inline(__always)
    private func identity(ofRow row: Int) -> IdentityCheck? {
        // The reading thread leaves keys only when it has a pseudonymiser; `!` rather than a
        // binding, which retained and released it.
        if view.keyPending[row] {
            view.identities[row]?.personKey = pseudonymiser!.personKey(of: view.pendingKeys[row])
            view.pendingKeys[row] = PendingPersonKey()
            view.keyPending[row] = false
            personKeysComputedHere += 1
        }
        return view.identities[row]
    }

    /// The reading thread's loop: fills batches until the file ends, fails or the consumer leaves.
    private static func produce(
        _ reader: CanonicalRowReader, into channel: BatchChannel<RowBatch>, rowsPerBatch: Int,
        preparation: RowPreparation?, personKeys: PersonKeyShare
    ) {
        let fieldCount = reader.dataset.fields.count
        let storesIdentities = reader.dataset.identityNumberField != nil
        // The fields to prepare, in field order.
        // Typed as the parameter of `append`: an array of unlabelled tuples would be converted
        // (element by element, with dynamic casts) at every call.
        let aheadSteps: [(field: Int, step: RowPreparation.Step)] =
            preparation.map { preparation in
                preparation.steps.enumerated().compactMap { field, step in step.map { (field, $0) } }
            } ?? []
        // Without the steps meant only for when this thread is ahead of the validator.
        let steps = aheadSteps.filter { !(preparation?.onlyWhenAhead[$0.field] ?? false) }
        var personKeys = personKeys
        channel.fill(
            make: {
                RowBatch(
                    fieldCount: fieldCount, capacity: rowsPerBatch, storesIdentities: storesIdentities)
            },
            begin: { batch in personKeys.adjust(to: batch.state) },
            readOne: { batch in
                reader.defersPersonKeys = personKeys.defers(row: batch.count)
                guard try reader.next() else { return false }
                batch.append(reader, steps: batch.state.readerIsAhead ? aheadSteps : steps)
                return true
            },
            bytesConsumed: { reader.bytesConsumed },
            finish: { batch in
                batch.offset = reader.offset
                if batch.state.readerIsAhead, let lookup = preparation?.lookup { batch.resolve(lookup) }
            })
    }
}

/// How many of the person keys (an HMAC each, a fifth of the reading thread's time on volunteers)
/// the reading thread leaves to the validating thread, in eighths of the rows: one eighth more
/// after a batch the validating thread had to wait for, one less after one the reading thread
/// had to wait for, so that the two threads' shares of the work even out.
struct PersonKeyShare {
    private(set) var eighths = 0
    /// A share that does not follow the threads (for tests).
    private let fixed: Bool

    /// - Parameter fixed: leave this many eighths of the keys whatever the threads do; nil
    ///   starts at none and follows them.
    init(fixed: Int? = nil) {
        eighths = min(8, max(0, fixed ?? 0))
        self.fixed = fixed != nil
    }

    mutating func adjust(to state: BatchState) {
        if fixed { return }
        if state.readerIsAhead {
            eighths = max(0, eighths - 1)
        } else if state.consumerWaited {
            eighths = min(8, eighths + 1)
        }
    }

    func defers(row: Int) -> Bool { row & 7 < eighths }
}

/// Up to `capacity` rows: their values (in the CSV reader's chunks, which the batch holds until
/// it is reset, or else copied into one buffer), with per-row line, problem and identity check.
/// Storage is manual so that the reading side can hand out raw pointers.
private final class RowBatch: FillableBatch, @unchecked Sendable {
    /// The batch's storage as raw pointers, valid while the batch lives and is not refilled.
    struct View {
        var spans: UnsafeMutablePointer<Int>
        var bytes: UnsafeRawPointer
        var lines: UnsafeMutablePointer<Int>
        var problems: UnsafeMutablePointer<RecordProblem?>
        var identities: UnsafeMutablePointer<IdentityCheck?>
        /// Per row: the identity check has no person key yet; `pendingKeys` has its number.
        var keyPending: UnsafeMutablePointer<Bool>
        var pendingKeys: UnsafeMutablePointer<PendingPersonKey>
        var hasIdentityNumber: UnsafeMutablePointer<Bool>
        /// Per row and field: the value `RowPreparation` asked for, or `notPrepared`.
        var prepared: UnsafeMutablePointer<Int64>
        /// Per row: the result of `RowPreparation.lookup`, or `notPrepared`.
        var resolved: UnsafeMutablePointer<Int64>
    }

    /// Marks a field with nothing prepared (not asked, absent or empty). A hash that happens to
    /// equal it only means the validator computes that hash itself.
    static let notPrepared = Int64.min + 1

    let fieldCount: Int
    let capacity: Int
    private(set) var count = 0
    var state = BatchState()
    /// The reader's `offset` at the end of the batch.
    var offset: Int?
    /// The rows' bytes when copied (see `CanonicalRowReader.layOutFields`); per row and field,
    /// `spans` holds the value's offset from `view.bytes` and its length (length -1 for an absent
    /// field).
    private let values: ByteArena
    /// The reader's chunks the rows point into, held until the batch is reset, and their bytes.
    private var chunks: [ByteChunk] = []
    private var chunkBytes = 0
    /// The reader's number of the last chunk in `chunks` (-1: none).
    private var heldChunkNumber = -1
    private let storesIdentities: Bool
    private let storage: View
    /// The masked identity numbers of the rows whose number has a problem, by row.
    private(set) var maskedIdentityNumbers: [Int: String] = [:]
    /// Some row's person key was left to the consumer (its number is cleared at the reset).
    private var hasPendingKeys = false
    /// Whether any row has a problem: a batch without one skips destroying them one by one
    /// (through the generic value witness of `RecordProblem?`, 1 % of the reading thread).
    private var hasProblems = false

    /// - Parameter storesIdentities: the rows have identity checks to keep (else `identities` is
    ///   left uninitialized).
    init(fieldCount: Int, capacity: Int, storesIdentities: Bool) {
        self.fieldCount = fieldCount
        self.capacity = capacity
        self.storesIdentities = storesIdentities
        let rows = max(1, capacity)
        values = ByteArena(capacity: capacity > 0 ? 1 << 20 : 16)
        storage = View(
            spans: .allocate(capacity: rows * max(1, fieldCount) * 2), bytes: values.storage.baseAddress!,
            lines: .allocate(capacity: rows), problems: .allocate(capacity: rows),
            identities: .allocate(capacity: rows), keyPending: .allocate(capacity: rows),
            pendingKeys: .allocate(capacity: rows), hasIdentityNumber: .allocate(capacity: rows),
            prepared: .allocate(capacity: rows * max(1, fieldCount)), resolved: .allocate(capacity: rows))
    }

    /// The storage once the batch is filled (the bytes move while it grows).
    var view: View {
        var view = storage
        view.bytes = UnsafeRawPointer(values.storage.baseAddress!)
        return view
    }

    /// A batch ends early once its bytes (copied, or in the chunks it holds) pass 64 MiB (rows
    /// with very long fields).
    var isFull: Bool { values.count + chunkBytes >= 1 << 26 }

    deinit {
        reset()
        let view = storage
        view.spans.deallocate()
        view.lines.deallocate()
        view.problems.deallocate()
        view.identities.deallocate()
        view.keyPending.deallocate()
        view.pendingKeys.deallocate()
        view.hasIdentityNumber.deallocate()
        view.prepared.deallocate()
        view.resolved.deallocate()
    }

    func reset() {
        if hasProblems { storage.problems.deinitialize(count: count) }
        hasProblems = false
        if storesIdentities {
            storage.identities.deinitialize(count: count)
            // Numbers whose key was never asked for are not left behind either.
            if hasPendingKeys { storage.pendingKeys.initialize(repeating: PendingPersonKey(), count: count) }
            hasPendingKeys = false
        }
        if !maskedIdentityNumbers.isEmpty { maskedIdentityNumbers.removeAll(keepingCapacity: true) }
        count = 0
        values.reset()
        chunks.removeAll(keepingCapacity: true)
        chunkBytes = 0
        heldChunkNumber = -1
    }

    /// Takes the reader's current row and computes what `steps` ask for.
    func append(_ reader: CanonicalRowReader, steps: [(field: Int, step: RowPreparation.Step)]) {
        let row = storage.spans + count * fieldCount * 2
        let prepared = storage.prepared + count * fieldCount
        prepared.update(repeating: Self.notPrepared, count: fieldCount)
        storage.resolved[count] = Self.notPrepared
        let problem = reader.problem
        // Before the fields are laid out, which blanks the identity number.
        storage.hasIdentityNumber[count] = problem == nil && reader.hasIdentityNumber
        if problem == nil {
            // The arena's bytes start at `base` as long as nothing is copied into it, and nothing
            // is when the rows point into the reader's chunks.
            let base = UnsafeRawPointer(values.storage.baseAddress!)
            if let length = reader.layOutFields(to: row, arena: values, base: base) {
                if let (chunk, number) = reader.recordChunk(unless: heldChunkNumber) {
                    chunks.append(chunk)
                    heldChunkNumber = number
                }
                chunkBytes += length
            }
            let bytes = UnsafeRawPointer(values.storage.baseAddress!)
            for (field, step) in steps where row[2 * field + 1] > 0 {
                prepared[field] = RowPreparation.compute(
                    step, RowFields.bytes(bytes, offset: row[2 * field], count: row[2 * field + 1]))
            }
        } else {
            for field in 0..<fieldCount {
                row[2 * field] = 0
                row[2 * field + 1] = -1
            }
        }
        storage.lines[count] = reader.line
        (storage.problems + count).initialize(to: problem)
        if problem != nil { hasProblems = true }
        // Not kept for a dataset without identity numbers: loading the just-cleared optional back
        // stalled the reading thread (a failed store forward), and storing nil in its place cost
        // as much again.
        if storesIdentities {
            (storage.identities + count).initialize(to: reader.identity)
            if let pending = reader.pendingPersonKey {
                storage.keyPending[count] = true
                (storage.pendingKeys + count).initialize(to: pending)
                hasPendingKeys = true
            } else {
                storage.keyPending[count] = false
            }
            if let masked = reader.maskedIdentityNumber { maskedIdentityNumbers[count] = masked }
        }
        count += 1
    }

    /// Looks the rows' `lookup.field` up in its table (see `RowPreparation.KeyLookup`), loading
    /// the slots of the rows `RowPreparation.lookahead` further on while one row is looked up.
    func resolve(_ lookup: RowPreparation.KeyLookup) {
        let lookahead = RowPreparation.lookahead
        let field = lookup.field
        let bytes = view.bytes
        @inline(__always) func hash(_ row: Int) -> Int64? {
            let value = storage.prepared[row * fieldCount + field]
            return value == Self.notPrepared ? nil : value
        }
        for row in 0..<min(lookahead, count) {
            if let hash = hash(row) { lookup.table.prefetch(hash: UInt64(bitPattern: hash)) }
        }
        for row in 0..<count {
            if row + lookahead < count, let hash = hash(row + lookahead) {
                lookup.table.prefetch(hash: UInt64(bitPattern: hash))
            }
            let length = storage.spans[(row * fieldCount + field) * 2 + 1]
            guard length > 0, let hash = hash(row) else { continue }
            let key = RowFields.bytes(bytes, offset: storage.spans[(row * fieldCount + field) * 2], count: length)
            guard let found = lookup.table.value(for: key, hash: UInt64(bitPattern: hash)) else { continue }
            storage.resolved[row] = found.map(Int64.init) ?? RowPreparation.notFound
        }
    }
}
