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

/// Runs two pieces of work side by side (the second on another thread) and returns both results.
public func concurrently<First, Second>(
    _ first: () throws -> First, _ second: @escaping @Sendable () throws -> Second
) throws -> (First, Second) {
    let other = ConcurrentResults<Second>(count: 1)
    let done = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
        other.set(0, Result { try second() })
        done.signal()
    }
    let firstResult = Result { try first() }
    done.wait()
    return (try firstResult.get(), try other.values()[0])
}

/// A value computed on another thread from the moment this is created; `value` waits for it.
public final class BackgroundValue<Value: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var result: Value?

    public init(_ work: @escaping @Sendable () -> Value) {
        DispatchQueue.global().async {
            let computed = work()
            self.lock.lock()
            self.result = computed
            self.lock.unlock()
            self.done.signal()
        }
    }

    public var value: Value {
        lock.lock()
        if let result {
            lock.unlock()
            return result
        }
        lock.unlock()
        done.wait()
        done.signal()
        lock.lock()
        defer { lock.unlock() }
        return result!
    }
}
