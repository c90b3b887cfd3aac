import CSystemShims

/// A set of record ids remembered by a seeded 64-bit hash (their fingerprint) instead of their
/// bytes, each marked with the file that added it so that a file which fails part-way can be
/// forgotten.
///
/// Eight bytes per entry, eight entries to a 64-byte bucket: a lookup or an insert touches one
/// cache line almost always (the former table's 12-byte slots took two, and 480 MB instead of
/// 320 MB for 30 million ids). An entry keeps the fingerprint's low 56 bits and, in its low byte,
/// the generation of its file; the high 8 bits are implied by the bucket, since a fingerprint's
/// home bucket is its high bits scaled to the table (buckets spill forward only, by at most
/// `maximumSpill`, and a table has more than 256 × that many buckets). Two different ids are
/// thus taken for one exactly when their 64-bit fingerprints are equal, as in a plain set of
/// them: with probability about ids² / 2⁶⁵, one in 40,000 for 30 million ids (a duplicate
/// reported for a record that is not one). Fingerprints must be uniformly spread (a seeded
/// hash): more than 264 that lie close together cannot be placed at any size.
///
/// A class, held by a `let`: a lookup through a stored struct retained and released its
/// storage around every call.
public final class FingerprintTable {
    /// Owns the entries (0 = empty), which lookups read through `entries` (its address and size).
    private var memory: ZeroedArray<UInt64> { didSet { entries = memory.unsafeBuffer } }
    private var entries: UnsafeMutableBufferPointer<UInt64>
    /// Home buckets; `maximumSpill` more follow them for entries whose home is full.
    private var bucketCount: Int
    public private(set) var count = 0
    public let seed: UInt64

    /// How many buckets beyond its home an entry may be placed; a fuller walk grows the table.
    static let maximumSpill = 32
    static let bucketSize = 8
    /// At least this many home buckets: more than 256 × (`maximumSpill` + 2), so that a bucket
    /// tells the fingerprint's high 8 bits (one more in them moves the home by more buckets than
    /// an entry can spill), and a table of at least 1 MiB, which is mapped page-aligned, so
    /// that every bucket is one cache line.
    static let minimumBuckets = 16_384

    /// The generation in an entry's low byte of each file since the last renumbering (1 stands
    /// for every file before it); they are given from 2 on, so the next is `count + 2`.
    private var generations: [Int32: UInt64] = [:]
    private var lastFile: Int32 = -1
    private var lastGeneration: UInt64 = 0

    /// Sized to hold `capacity` ids at three quarters full without growing.
    public init(capacity: Int = 1024, seed: UInt64) {
        bucketCount = Self.buckets(for: capacity)
        memory = ZeroedArray(count: (bucketCount + Self.maximumSpill) * Self.bucketSize)
        entries = memory.unsafeBuffer
        self.seed = seed
    }

    private static func buckets(for capacity: Int) -> Int {
        max(minimumBuckets, (LinearProbing.size(for: capacity) + bucketSize - 1) / bucketSize)
    }

    @inline(__always)
    public func fingerprint(_ key: UnsafeRawBufferPointer) -> UInt64 { Self.fingerprint(key, seed: seed) }

    /// The fingerprint a table with `seed` gives `key`.
    @inline(__always)
    public static func fingerprint(_ key: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        ByteHash.hash(key, seed: seed)
    }

    @inline(__always)
    private static func home(_ fingerprint: UInt64, buckets: Int) -> Int {
        LinearProbing.home(fingerprint, size: buckets)
    }

    /// Starts loading the bucket of `fingerprint`, so that a lookup soon after finds it in cache.
    @inline(__always)
    public func prefetch(_ fingerprint: UInt64) {
        volstat_prefetch(entries.baseAddress! + Self.home(fingerprint, buckets: bucketCount) &* Self.bucketSize)
    }

    /// Whether `fingerprint` is in the set and its entry, or the empty entry where it would go;
    /// -1 when its home and the buckets after it are all full (an insert grows the table).
    @inline(__always)
    public func lookup(_ fingerprint: UInt64) -> (found: Bool, slot: Int) {
        Self.find(fingerprint, in: entries, buckets: bucketCount)
    }

    /// `lookup` in `entries` of `buckets` home buckets: an entry lies in its home bucket or at
    /// most `maximumSpill` buckets after it, which is what lets a bucket tell the high 8 bits.
    @inline(__always)
    private static func find(
        _ fingerprint: UInt64, in entries: UnsafeMutableBufferPointer<UInt64>, buckets: Int
    ) -> (found: Bool, slot: Int) {
        let wanted = fingerprint << 8
        let first = home(fingerprint, buckets: buckets) &* bucketSize
        var slot = first
        let end = first + (maximumSpill + 1) * bucketSize
        while slot < end {
            let entry = entries[slot]
            if entry == 0 { return (false, slot) }
            if entry ^ wanted < 256 { return (true, slot) }
            slot += 1
        }
        return (false, -1)
    }

    public func contains(_ fingerprint: UInt64) -> Bool { lookup(fingerprint).found }

    /// Adds a fingerprint that `lookup` found absent at `slot`, with nothing added since.
    public func insert(_ fingerprint: UInt64, file: Int32, at slot: Int) {
        guard slot >= 0, hasRoomForOneMore, entries[slot] == 0 else {
            insert(fingerprint, file: file)
            return
        }
        store(fingerprint, file: file, at: slot)
    }

    /// Adds `fingerprint` for `file` unless it is in the set already (then it stays `file`'s
    /// that added it first); true when it was added.
    @discardableResult
    public func insert(_ fingerprint: UInt64, file: Int32) -> Bool {
        while true {
            if !hasRoomForOneMore { rebuild(buckets: bucketCount * 2, dropping: nil) }
            let (found, slot) = lookup(fingerprint)
            if found { return false }
            if slot >= 0 {
                store(fingerprint, file: file, at: slot)
                return true
            }
            rebuild(buckets: bucketCount * 2, dropping: nil)
        }
    }

    private var hasRoomForOneMore: Bool { LinearProbing.hasRoom(for: count + 1, in: bucketCount * Self.bucketSize) }

    private func store(_ fingerprint: UInt64, file: Int32, at slot: Int) {
        entries[slot] = fingerprint << 8 | generation(of: file)
        count += 1
    }

    /// The generation of `file`'s entries: a new one for a file not seen before. After 254
    /// files every entry's generation becomes 1, and those files can no longer be forgotten.
    @inline(__always)
    private func generation(of file: Int32) -> UInt64 {
        if file == lastFile { return lastGeneration }
        if let known = generations[file] {
            (lastFile, lastGeneration) = (file, known)
            return known
        }
        if generations.count + 2 > 255 {
            for slot in entries.indices where entries[slot] != 0 { entries[slot] = entries[slot] & ~0xFF | 1 }
            generations.removeAll()
        }
        let next = UInt64(generations.count + 2)
        generations[file] = next
        (lastFile, lastGeneration) = (file, next)
        return next
    }

    /// Forgets the ids `file` added, if it added them since the last renumbering (which merges
    /// the files before it every 254 files; only the file being read is ever forgotten).
    public func forget(file: Int32) {
        guard let generation = generations[file] else { return }
        rebuild(buckets: bucketCount, dropping: generation)
    }

    /// Makes room for `capacity` ids in all, so that the table does not grow on the way there.
    public func reserve(_ capacity: Int) {
        let buckets = Self.buckets(for: capacity)
        if buckets > bucketCount { rebuild(buckets: buckets, dropping: nil) }
    }

    /// The full fingerprint of the entry at `slot`: its high 8 bits are the largest whose home
    /// bucket lies at or before the entry's bucket.
    private func fingerprint(at slot: Int) -> UInt64 {
        let low = entries[slot] >> 8
        let bucket = slot / Self.bucketSize
        var high = UInt64(min(255, bucket * 256 / bucketCount + 1))
        while high > 0, Self.home(high << 56 | low, buckets: bucketCount) > bucket { high -= 1 }
        return high << 56 | low
    }

    /// Places every entry (but those of generation `dropped`) again in `buckets` home buckets,
    /// or in more when one of them would spill too far.
    private func rebuild(buckets: Int, dropping dropped: UInt64?) {
        var size = buckets
        while true {
            if let rebuilt = rebuilt(buckets: size, dropping: dropped) {
                (memory, bucketCount, count) = (rebuilt.memory, size, rebuilt.count)
                return
            }
            size *= 2
            precondition(
                size <= 8 * max(buckets, Self.buckets(for: count)),
                "record id fingerprints are not uniformly spread: over 264 of them lie close together")
        }
    }

    /// The entries placed in `buckets` home buckets; nil when one of them would spill too far.
    private func rebuilt(buckets: Int, dropping dropped: UInt64?) -> (memory: ZeroedArray<UInt64>, count: Int)? {
        assert(buckets >= 256 * (Self.maximumSpill + 2), "a bucket must tell the fingerprint's high 8 bits")
        var target = ZeroedArray<UInt64>(count: (buckets + Self.maximumSpill) * Self.bucketSize)
        var placed = 0
        let fits = target.withUnsafeMutableBufferPointer { target in
            for slot in entries.indices where entries[slot] != 0 && entries[slot] & 0xFF != dropped {
                let fingerprint = fingerprint(at: slot)
                // Stored fingerprints differ, so the walk ends at an empty entry or finds no room.
                let index = Self.find(fingerprint, in: target, buckets: buckets).slot
                guard index >= 0 else { return false }
                target[index] = fingerprint << 8 | entries[slot] & 0xFF
                placed += 1
            }
            return true
        }
        return fits ? (target, placed) : nil
    }
}
