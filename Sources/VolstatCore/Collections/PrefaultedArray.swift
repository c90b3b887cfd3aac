/// An array of plain values (no references) that grows by appending, in `ZeroedArray` memory:
/// a large one is mapped from the kernel on huge pages and faulted in on another thread as soon as
/// its room is reserved, so that appending millions of rows does not stop at every new page.
///
/// For the per-registration and per-person arrays, which are filled front to back as the
/// volunteers are read: as Swift arrays, the validating thread took every one of their 4 KiB page
/// faults itself, 0.6 s of a run at 10 million volunteers. Copies share storage until one of them
/// is written; the room beyond `count` holds no values of its own.
public struct PrefaultedArray<Element>: RandomAccessCollection, MutableCollection, @unchecked Sendable {
    private var storage = ZeroedArray<Element>(count: 0)
    public private(set) var count = 0

    public init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    /// How many elements fit without growing.
    public var capacity: Int { storage.count }

    @inline(__always)
    public subscript(index: Int) -> Element {
        get {
            precondition(index >= 0 && index < count, "index out of range")
            return storage[index]
        }
        set {
            precondition(index >= 0 && index < count, "index out of range")
            storage[index] = newValue
        }
    }

    /// Makes room for `capacity` elements in all (faulted in on another thread when large).
    public mutating func reserveCapacity(_ capacity: Int) {
        if capacity > storage.count { storage = ZeroedArray(count: capacity, copying: storage, first: count) }
    }

    @inline(__always)
    public mutating func append(_ element: Element) {
        if count == storage.count { makeRoom(for: 1) }
        storage[count] = element
        count += 1
    }

    /// Appends `elements` (which must not lie in this array) with one check of the storage, not
    /// one per element.
    public mutating func append(contentsOf elements: UnsafeBufferPointer<Element>) {
        guard !elements.isEmpty else { return }
        if count + elements.count > storage.count { makeRoom(for: elements.count) }
        let start = count
        storage.withUnsafeMutableBufferPointer { whole in
            _ = UnsafeMutableBufferPointer(rebasing: whole[start..<(start + elements.count)]).initialize(
                fromContentsOf: elements)
        }
        count += elements.count
    }

    /// Grows the room to hold `more` elements beyond `count`: at least doubled, at least 16.
    private mutating func makeRoom(for more: Int) {
        reserveCapacity(Swift.max(16, count + more, count * 2))
    }

    /// The elements' memory, for an owner that hands it to another thread while neither of them
    /// changes the array: valid until the array is next changed or freed.
    public var unsafeElements: UnsafeBufferPointer<Element> {
        storage.withUnsafeBufferPointer { UnsafeBufferPointer(rebasing: $0[..<count]) }
    }

    /// Removes the elements from `bounds.lowerBound` to the end.
    public mutating func removeSubrange(_ bounds: PartialRangeFrom<Int>) {
        precondition(bounds.lowerBound >= 0 && bounds.lowerBound <= count, "index out of range")
        count = bounds.lowerBound
    }

    /// Calls `body` with the elements' memory, `count` of them.
    public mutating func withUnsafeMutableBufferPointer<Result>(
        _ body: (inout UnsafeMutableBufferPointer<Element>) throws -> Result
    ) rethrows -> Result {
        let count = count
        return try storage.withUnsafeMutableBufferPointer { whole in
            let given = UnsafeMutableBufferPointer(rebasing: whole[..<count])
            var elements = given
            defer {
                precondition(
                    elements.baseAddress == given.baseAddress && elements.count == given.count,
                    "the buffer must not be replaced")
            }
            return try body(&elements)
        }
    }
}
