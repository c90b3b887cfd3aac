import CSystemShims
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A fixed-size array of plain values (no references) that starts as all-zero bytes, for the
/// slots of the big hash tables, whose empty slot is all zeros.
///
/// Large arrays come straight from the kernel (`mmap`): already zero, so nothing writes them
/// before use (a table of 50 MB is not cleared twice), marked for transparent huge pages
/// (fewer TLB misses on random lookups) and faulted in on another thread as soon as they are
/// made. Copies share storage until one of them is written. A sparse array (`init(sparseCount:)`)
/// is neither advised for huge pages nor faulted in; a copy of it that is written is dense.
public struct ZeroedArray<Element>: RandomAccessCollection, @unchecked Sendable {
    private var storage: Storage

    public init(count: Int) { self.init(count: count, sparse: false) }

    /// `count` zeros for an array of which only a few scattered elements are written (a table
    /// indexed by region code): when large, mapped from the kernel on small pages and not faulted
    /// in, so that only the pages written cost memory (a `[Int32](repeating:count:)` of a million
    /// writes all 4 MB). Keep it unshared while writing it: a copy that is written is made dense
    /// (`init(count:copying:)`: every page written, on huge pages).
    public init(sparseCount count: Int) { self.init(count: count, sparse: true) }

    private init(count: Int, sparse: Bool) {
        precondition(_isPOD(Element.self), "ZeroedArray holds plain values only")
        storage = Storage(count: count, sparse: sparse)
    }

    /// `count` elements that start with the first `copied` of `other` (all of them when nil; at
    /// most `count`), then zeros.
    public init(count: Int, copying other: ZeroedArray, first copied: Int? = nil) {
        self.init(count: count)
        storage.base.update(from: other.storage.base, count: Swift.min(count, other.count, copied ?? other.count))
    }

    /// The elements' memory, for an owner that keeps the array to itself and never copies it:
    /// valid while the array lives, and writes through it bypass copy-on-write. The hash tables
    /// read their slots through it, so that a lookup costs no reference counting.
    public var unsafeBuffer: UnsafeMutableBufferPointer<Element> {
        UnsafeMutableBufferPointer(start: storage.base, count: storage.count)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { storage.count }

    @inline(__always)
    public subscript(index: Int) -> Element {
        get { storage.base[index] }
        set {
            if !isKnownUniquelyReferenced(&storage) { self = ZeroedArray(count: count, copying: self) }
            storage.base[index] = newValue
        }
    }

    @inline(__always)
    public func withUnsafeBufferPointer<Result>(
        _ body: (UnsafeBufferPointer<Element>) throws -> Result
    ) rethrows
        -> Result
    {
        try body(UnsafeBufferPointer(start: storage.base, count: storage.count))
    }

    @inline(__always)
    public mutating func withUnsafeMutableBufferPointer<Result>(
        _ body: (UnsafeMutableBufferPointer<Element>) throws -> Result
    ) rethrows -> Result {
        if !isKnownUniquelyReferenced(&storage) { self = ZeroedArray(count: count, copying: self) }
        return try body(UnsafeMutableBufferPointer(start: storage.base, count: storage.count))
    }

    final class Storage: @unchecked Sendable {
        let base: UnsafeMutablePointer<Element>
        let count: Int
        private let bytes: Int
        private let mapped: Bool

        /// Arrays of at least this many bytes are mapped from the kernel; smaller ones use calloc.
        static var mappingThreshold: Int { 1 << 20 }

        init(count: Int, sparse: Bool) {
            self.count = count
            bytes = Swift.max(1, count * MemoryLayout<Element>.stride)
            if bytes >= Self.mappingThreshold,
                let memory = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                memory != UnsafeMutableRawPointer(bitPattern: -1)
            {
                mapped = true
                base = memory.bindMemory(to: Element.self, capacity: count)
                if sparse {
                    _ = madvise(memory, bytes, MADV_NOHUGEPAGE)
                } else {
                    Self.adviseHugePages(memory, bytes: bytes)
                    populateInBackground(memory)
                }
            } else {
                mapped = false
                guard let memory = calloc(1, bytes) else { fatalError("out of memory: \(bytes) bytes") }
                base = memory.bindMemory(to: Element.self, capacity: count)
            }
        }

        /// Done when the background fault-in of a mapped array has finished.
        private let populated = DispatchGroup()
        /// Tells the background fault-in to stop: the array is being freed.
        private let population = PopulationState()

        /// Faults every page in, writable, on another thread. Every slot of a table sized to its
        /// contents gets written; touched one by one, a page is first mapped read-only by the
        /// lookup that finds its slot empty and faults again at the insert (6 alternating runs:
        /// 2.2 against 1.9 s, and 34 against 27 s at 10 x the rows). On another thread, because
        /// on this machine the kernel's clearing of new huge pages at times runs at 0.5 GB/s and
        /// held the validating thread for 0.2 s at the start of a file while the reading thread
        /// waited; pages the caller touches first it faults in itself. The work captures the
        /// address, not the storage (which would then never be uniquely referenced), and
        /// `deinit` waits for it before unmapping.
        private func populateInBackground(_ memory: UnsafeMutableRawPointer) {
            let address = UInt(bitPattern: memory)
            let length = bytes
            populated.enter()
            DispatchQueue.global().async { [populated, population] in
                // In steps of one huge page, so that a freed array stops soon. On x86 each page
                // is touched rather than populated with madvise (see `volstat_touch_writable`):
                // the advice holds the process's memory map for a whole step, and in a 1 x run
                // the reading thread's first batch came 70 ms late, its mmaps waiting up to 27 ms
                // each.
                let step = 2 << 20
                var offset = 0
                while offset < length && !population.isCancelled {
                    volstat_touch_writable(
                        UnsafeMutableRawPointer(bitPattern: address + UInt(offset)), Swift.min(step, length - offset))
                    offset += step
                }
                populated.leave()
            }
        }

        deinit {
            if mapped {
                // A table given up soon after it was made (grown, or changed to another layout)
                // waits for at most one more step, not for all of its pages.
                population.cancel()
                populated.wait()
                munmap(base, bytes)
            } else {
                free(base)
            }
        }

        /// Marks the 2 MiB-aligned part of a region for huge pages; a kernel without them ignores it.
        private static func adviseHugePages(_ start: UnsafeMutableRawPointer, bytes: Int) {
            let huge = 2 << 20
            let first = (Int(bitPattern: start) + huge - 1) & ~(huge - 1)
            let end = (Int(bitPattern: start) + bytes) & ~(huge - 1)
            guard end > first, let aligned = UnsafeMutableRawPointer(bitPattern: first) else { return }
            _ = madvise(aligned, end - first, MADV_HUGEPAGE)
        }
    }
}

/// Whether a background fault-in should stop, shared between the array's storage and the work
/// (which must not hold the storage itself).
final class PopulationState: Sendable {
    private let cancelled = Atomic<Bool>(false)

    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    func cancel() { cancelled.store(true, ordering: .relaxed) }
}
