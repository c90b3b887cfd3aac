import Foundation

/// An error carried from a reading thread to the caller's.
struct ErrorBox: @unchecked Sendable {
    let error: any Error
}

/// The hand-over between a reading thread and its consumer: full batches one way, emptied ones
/// back, at most `batches` of them in all (so memory stays bounded).
final class BatchChannel<Batch: AnyObject>: @unchecked Sendable {
    private let condition = NSCondition()
    private var full: [Batch] = []
    private var empty: [Batch] = []
    private var created = 0
    private let limit: Int
    private var cancelled = false
    /// The consumer has had the last batch or the error (touched by the consumer only).
    private var consumerDone = false
    /// The reading thread is waiting for an empty batch (for tests and diagnostics).
    private var readerWaiting = false
    /// The consumer found no full batch and waited, since the reading thread last took a batch.
    private var consumerWaited = false

    /// Whether the reading thread is waiting for an empty batch right now.
    var isReaderWaiting: Bool {
        condition.lock()
        defer { condition.unlock() }
        return readerWaiting
    }

    init(batches: Int) { limit = batches }

    /// A batch to fill: a recycled one, a new one (`make`) while fewer than the limit exist, or
    /// nil once the consumer has gone; with its state: whether the reading thread had to wait for
    /// it (every batch was full or in use: the consumer is the slower of the two), and whether the
    /// consumer waited for a batch since the last call (the reading thread is the slower).
    func emptyBatch(make: () -> Batch) -> (batch: Batch, state: BatchState)? {
        condition.lock()
        defer { condition.unlock() }
        var state = BatchState(consumerWaited: consumerWaited)
        consumerWaited = false
        while true {
            if cancelled { return nil }
            if let batch = empty.popLast() { return (batch, state) }
            if created < limit {
                created += 1
                return (make(), state)
            }
            state.readerIsAhead = true
            readerWaiting = true
            condition.wait()
            readerWaiting = false
        }
    }

    func send(_ batch: Batch) {
        condition.lock()
        full.append(batch)
        condition.broadcast()
        condition.unlock()
    }

    func receive() -> Batch {
        condition.lock()
        defer { condition.unlock() }
        if full.isEmpty { consumerWaited = true }
        while full.isEmpty { condition.wait() }
        return full.removeFirst()
    }

    func recycle(_ batch: Batch) {
        condition.lock()
        empty.append(batch)
        condition.broadcast()
        condition.unlock()
    }

    /// The consumer is gone: the reading thread stops at its next batch.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}

/// What the reading thread records about a batch besides its records.
struct BatchState {
    /// The input ended with this batch.
    var isLast = false
    /// The error that ended the input (the batch holds the records read before it).
    var error: ErrorBox?
    /// The reading thread had to wait for this batch (the consumer is behind): it has time for
    /// work it would otherwise leave to the consumer.
    var readerIsAhead = false
    /// The consumer waited for a batch while the one before this was filled: the reading thread
    /// is the slower, and work the consumer can do is better left to it.
    var consumerWaited = false
    /// Bytes of the file read up to the end of the batch.
    var bytesConsumed = 0
}

/// A batch a reading thread fills: records until `capacity` or `isFull`, then its `state`.
protocol FillableBatch: AnyObject {
    var count: Int { get }
    var capacity: Int { get }
    /// The batch's bytes reached their limit before its record count did.
    var isFull: Bool { get }
    var state: BatchState { get set }
    /// Empties the records (`fill` resets the state).
    func reset()
}

extension BatchChannel where Batch: FillableBatch {
    /// The reading thread's loop: fills batches until the input ends, fails or the consumer leaves.
    ///
    /// - Parameters:
    ///   - begin: called with each batch before its first record (its `state` set).
    ///   - readOne: reads the next record into the batch; false at the end of the input.
    ///   - bytesConsumed: the bytes of the file read so far.
    ///   - finish: records what else the consumer needs besides the records.
    func fill(
        make: () -> Batch, begin: (Batch) -> Void = { _ in }, readOne: (Batch) throws -> Bool,
        bytesConsumed: () -> Int, finish: (Batch) -> Void = { _ in }
    ) {
        while let (batch, state) = emptyBatch(make: make) {
            batch.reset()
            batch.state = state
            begin(batch)
            var ended = false
            do {
                while batch.count < batch.capacity, !batch.isFull {
                    guard try readOne(batch) else {
                        ended = true
                        break
                    }
                }
            } catch {
                batch.state.error = ErrorBox(error: error)
                ended = true
            }
            batch.state.isLast = ended
            batch.state.bytesConsumed = bytesConsumed()
            finish(batch)
            send(batch)
            if ended { return }
        }
    }

    /// The consumer's step to the batch after `current`, which goes back to the reading thread
    /// (unless it has no capacity: the consumer's placeholder before the first). Nil once the
    /// input has ended; the reading thread's error is thrown once, after the batches before it.
    func batch(after current: Batch) throws -> Batch? {
        if consumerDone { return nil }
        if let error = current.state.error {
            consumerDone = true
            throw error.error
        }
        if current.state.isLast {
            consumerDone = true
            return nil
        }
        let next = receive()
        if current.capacity > 0 { recycle(current) }
        return next
    }
}
