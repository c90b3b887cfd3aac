import Foundation
import VolstatCore

/// A record reader that runs another on a thread of its own, a few batches of records ahead, and
/// hands out the same records in the same order. It splits a parser-bound source (XML, where
/// libxml2 takes most of the time) from the mapping and checks that follow it, so that the work
/// spreads over both cores.
///
/// Memory is bounded: three batches of at most `recordsPerBatch` records are in flight. An error
/// the reader throws is rethrown by `next()` after the records read before it.
public final class ReadAheadRecordReader: RecordReader {
    public let name: String
    public private(set) var fieldNames: [String]
    public var line: Int { current.lines[position] }
    public var problem: RecordProblem? { current.problems[position] }
    public private(set) var presentSlots: [Int] = []
    public var bytesConsumed: Int { current.state.bytesConsumed }

    private let channel: BatchChannel<RecordBatch>
    private var current = RecordBatch()
    private var position = -1
    /// The current record's values by slot: start and length in the batch's bytes, -1 if absent.
    private var ranges: [(start: Int, count: Int)] = []

    /// Opens the inner reader on the reading thread and waits until it is open; what `open`
    /// throws is rethrown here.
    public init(
        name: String, recordsPerBatch: Int = 2048, open: @escaping @Sendable () throws -> any RecordReader
    ) throws {
        self.name = name
        let channel = BatchChannel<RecordBatch>(batches: 3)
        self.channel = channel
        let opened = PendingResult<[String]>()
        let thread = Thread {
            let reader: any RecordReader
            do {
                reader = try open()
            } catch {
                opened.resolve(.failure(error))
                return
            }
            opened.resolve(.success(reader.fieldNames))
            Self.produce(reader, into: channel, recordsPerBatch: recordsPerBatch)
        }
        thread.stackSize = 8 << 20
        thread.start()
        fieldNames = try opened.wait().get()
    }

    deinit { channel.cancel() }

    public func next() throws -> Bool {
        position += 1
        while position >= current.count {
            guard let next = try channel.batch(after: current) else { return false }
            current = next
            fieldNames = next.fieldNames
            position = 0
        }
        ranges.removeAll(keepingCapacity: true)
        ranges.append(contentsOf: repeatElement((start: 0, count: -1), count: fieldNames.count))
        presentSlots.removeAll(keepingCapacity: true)
        for entry in current.entries[current.records[position]] where entry.slot < ranges.count {
            ranges[entry.slot] = (entry.start, entry.count)
            presentSlots.append(entry.slot)
        }
        return true
    }

    public func value(at slot: Int) -> UnsafeRawBufferPointer? {
        guard slot < ranges.count, ranges[slot].count >= 0 else { return nil }
        return current.bytes(start: ranges[slot].start, count: ranges[slot].count)
    }

    private static func produce(
        _ reader: any RecordReader, into channel: BatchChannel<RecordBatch>, recordsPerBatch: Int
    ) {
        channel.fill(
            make: { RecordBatch(capacity: recordsPerBatch) },
            readOne: { batch in
                guard try reader.next() else { return false }
                batch.append(reader)
                return true
            },
            bytesConsumed: { reader.bytesConsumed },
            finish: { batch in batch.fieldNames = reader.fieldNames })
    }
}

/// Up to `capacity` records of a reader: their present values copied into one buffer.
private final class RecordBatch: FillableBatch, @unchecked Sendable {
    struct Entry {
        var slot: Int
        var start: Int
        var count: Int
    }

    let capacity: Int
    var state = BatchState()
    var fieldNames: [String] = []
    private(set) var lines: [Int] = []
    private(set) var problems: [RecordProblem?] = []
    /// Per record, its range in `entries` (present slots in the order the reader gave them).
    private(set) var records: [Range<Int>] = []
    private(set) var entries: [Entry] = []
    private let values: ByteArena

    init(capacity: Int = 0) {
        self.capacity = capacity
        values = ByteArena(capacity: capacity > 0 ? 1 << 20 : 16)
    }

    var count: Int { records.count }

    /// A batch ends early once its bytes pass 64 MiB (records with very long values).
    var isFull: Bool { values.count >= 1 << 26 }

    func reset() {
        values.reset()
        lines.removeAll(keepingCapacity: true)
        problems.removeAll(keepingCapacity: true)
        records.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
    }

    func append(_ reader: any RecordReader) {
        let first = entries.count
        for slot in reader.presentSlots {
            guard let value = reader.value(at: slot) else { continue }
            entries.append(Entry(slot: slot, start: values.count, count: value.count))
            values.append(value)
        }
        records.append(first..<entries.count)
        lines.append(reader.line)
        problems.append(reader.problem)
    }

    func bytes(start: Int, count: Int) -> UnsafeRawBufferPointer { values.bytes(start: start, count: count) }
}
