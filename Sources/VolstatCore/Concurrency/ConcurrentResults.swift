import Dispatch
import Foundation

/// Results of work run side by side, one slot per piece of work, each set once from whichever
/// thread did it; `values()` hands them back in the pieces' order, or rethrows the first error
/// in that order.
public final class ConcurrentResults<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<Value, any Error>?]

    public init(count: Int) {
        slots = Array(repeating: nil, count: count)
    }

    public func set(_ index: Int, _ result: Result<Value, any Error>) {
        lock.lock()
        slots[index] = result
        lock.unlock()
    }

    /// The values in order, once every slot is set.
    public func values() throws -> [Value] {
        lock.lock()
        defer { lock.unlock() }
        return try slots.map { slot in
            guard let slot else { preconditionFailure("ConcurrentResults: a slot was never set") }
            return try slot.get()
        }
    }
}

/// A result set once, on any thread, and waited for on others (the outcome of opening a source
/// on a reading thread, a value computed in the background).
public final class PendingResult<Value>: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Result<Value, any Error>?

    public init() {}

    public func resolve(_ value: Result<Value, any Error>) {
        condition.lock()
        result = value
        condition.broadcast()
        condition.unlock()
    }

    /// The result, once it is set.
    public func wait() -> Result<Value, any Error> {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        return result!
    }
}

/// Runs two pieces of work side by side (the second on another thread) and returns both results.
public func concurrently<First, Second>(
    _ first: () throws -> First, _ second: @escaping @Sendable () throws -> Second
) throws -> (First, Second) {
    let other = PendingResult<Second>()
    DispatchQueue.global().async { other.resolve(Result { try second() }) }
    let firstResult = Result { try first() }
    let secondResult = other.wait()
    return (try firstResult.get(), try secondResult.get())
}

/// A value computed on another thread from the moment this is created; `value` waits for it.
public final class BackgroundValue<Value: Sendable>: @unchecked Sendable {
    private let result = PendingResult<Value>()

    public init(_ work: @escaping @Sendable () -> Value) {
        DispatchQueue.global().async { [result] in result.resolve(.success(work())) }
    }

    public var value: Value {
        guard case .success(let value) = result.wait() else { preconditionFailure("BackgroundValue: no value") }
        return value
    }
}

/// Lets go of `value` on another thread, so that what it alone holds is freed there (unmapping
/// hundreds of megabytes of tables, say) while the caller goes on. The caller must not use the
/// value afterwards; what something else still holds is freed wherever that goes.
public func releaseInBackground<Value>(_ value: consuming Value) {
    let handOver = BackgroundRelease(consume value)
    DispatchQueue.global().async { handOver.drop() }
}

/// Carries the last reference to a value's storage to the thread that drops it.
private final class BackgroundRelease<Value>: @unchecked Sendable {
    private var value: Value?

    init(_ value: consuming Value) { self.value = consume value }

    func drop() { value = nil }
}
