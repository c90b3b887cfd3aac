import CSystemShims

#if canImport(Glibc)
    import Glibc
#endif

/// An exact hash map from short byte strings (source ids) to `Int32`, with no `String` per key.
///
/// Open addressing with linear probing over 16-byte slots, four to a cache line; the table
/// doubles at three quarters full. A key of 1 to 12 bytes without a zero byte (a typical source
/// id) is kept inside its slot, zero-padded, so that a lookup touches one cache line and compares
/// two words; any other key is kept in an arena, its slot holding its 64-bit hash and its place
/// there, and compared there when the hashes match.
///
/// A class, held by a `let`: a lookup through a stored struct retained and released its slots'
/// storage around every call.
public final class ByteKeyTable {
    /// One entry: empty when `first` is 0. A key kept in the slot is its bytes 0..<8 in `first`
    /// and 8..<12 in `rest`, zero-padded (its first byte is not zero, so neither is `first`'s low
    /// byte); a key in the arena has its offset there in `rest` and, in `first`, its hash with
    /// the low byte zero and bit 8 set (`longKeyWord`).
    struct Slot {
        var first: UInt64 = 0
        var rest: UInt32 = 0
        var value: Int32 = 0

        var isEmpty: Bool { first == 0 }
        var hasLongKey: Bool { first & 0xFF == 0 }
    }

    /// The `first` word of a slot whose key, of hash `hash`, is kept in the arena.
    @inline(__always)
    static func longKeyWord(_ hash: UInt64) -> UInt64 { hash & ~0x1FF | 0x100 }

    /// A key prepared for lookups: its bytes (cut at 65,535), hash and, when it is kept in the
    /// slot, its two words. Preparing once serves a prefetch, a lookup and an update of the same key.
    public struct Probe {
        let key: UnsafeRawBufferPointer
        let hash: UInt64
        var first: UInt64 = 0
        var rest: UInt32 = 0
        let isInline: Bool
    }

    static let inlineLength = 12

    /// Owns the slots, which lookups read through `slots` (its memory).
    private var memory: ZeroedArray<Slot> { didSet { slots = memory.unsafeBuffer } }
    private var slots: UnsafeMutableBufferPointer<Slot>
    /// The long keys, each as its length (2 bytes) and its bytes.
    private var arena: [UInt8] = []
    public private(set) var count = 0
    private let seed: UInt64

    /// Sized (see `LinearProbing`) to hold `capacity` keys without growing.
    public init(capacity: Int = 1024, seed: UInt64 = 0x5851_F42D_4C95_7F2D) {
        memory = ZeroedArray(count: LinearProbing.size(for: capacity))
        slots = memory.unsafeBuffer
        self.seed = seed
    }

    /// The slot a hash's probe starts at.
    @inline(__always)
    private static func home(_ hash: UInt64, size: Int) -> Int { LinearProbing.home(hash, size: size) }

    /// The seed of the table's hash, for `hash(_:seed:)` computed elsewhere.
    public var hashSeed: UInt64 { seed }

    /// The hash a table with `seed` uses for `key` (cut at 65,535 bytes).
    @inline(__always)
    public static func hash(_ key: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        ByteHash.hash(UnsafeRawBufferPointer(rebasing: key.prefix(Int(UInt16.max))), seed: seed)
    }

    /// Prepares `key` for `value(for:)` and `update(_:for:)`.
    @inline(__always)
    public func probe(_ key: UnsafeRawBufferPointer) -> Probe {
        probe(key, hash: Self.hash(key, seed: seed))
    }

    /// Prepares `key` whose `hash(_:seed:)` was computed already (on another thread).
    @inline(__always)
    public func probe(_ key: UnsafeRawBufferPointer, hash: UInt64) -> Probe { Self.probe(key, hash: hash) }

    @inline(__always)
    static func probe(_ key: UnsafeRawBufferPointer, hash: UInt64) -> Probe {
        let key = UnsafeRawBufferPointer(rebasing: key.prefix(Int(UInt16.max)))
        guard key.count >= 1, key.count <= inlineLength, let base = key.baseAddress else {
            return Probe(key: key, hash: hash, isInline: false)
        }
        var first: UInt64 = 0
        var rest: UInt32 = 0
        withUnsafeMutableBytes(of: &first) {
            $0.copyMemory(from: UnsafeRawBufferPointer(start: base, count: min(key.count, 8)))
        }
        if key.count > 8 {
            withUnsafeMutableBytes(of: &rest) {
                $0.copyMemory(from: UnsafeRawBufferPointer(start: base + 8, count: key.count - 8))
            }
        }
        // Zero-padded words tell keys apart only when the key itself has no zero byte: set the
        // padding's bytes, and look for a zero byte in what is left (little-endian words).
        let firstPadding: UInt64 = key.count >= 8 ? 0 : ~0 << (8 * UInt64(key.count))
        let restPadding: UInt32 = key.count <= 8 ? ~0 : (key.count >= 12 ? 0 : ~0 << (8 * UInt32(key.count - 8)))
        let hasZeroByte =
            Self.hasZeroByte(first | firstPadding)
            || Self.hasZeroByte(UInt64(rest | restPadding) | 0xFFFF_FFFF_0000_0000)
        return Probe(key: key, hash: hash, first: first, rest: rest, isInline: !hasZeroByte)
    }

    /// Whether any of a word's 8 bytes is zero.
    @inline(__always)
    private static func hasZeroByte(_ word: UInt64) -> Bool {
        (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080 != 0
    }

    /// Starts loading the slot where a key with this hash would be, so that a lookup soon after
    /// finds it in cache.
    @inline(__always)
    public func prefetch(hash: UInt64) { Self.prefetch(hash: hash, in: UnsafeBufferPointer(slots)) }

    @inline(__always)
    fileprivate static func prefetch(hash: UInt64, in slots: UnsafeBufferPointer<Slot>) {
        // 16-byte slots in page-aligned memory never lie across two cache lines.
        volstat_prefetch(UnsafeRawPointer(slots.baseAddress! + home(hash, size: slots.count)))
    }

    /// A look at the table's slots from another thread, without reference counting: valid while
    /// the table is neither changed nor freed, which its owner guarantees (see
    /// `RowPreparation.KeyLookup`). Keys kept outside the slots it leaves to the owner.
    public struct SlotView: @unchecked Sendable {
        fileprivate let slots: UnsafeBufferPointer<Slot>
        public let hashSeed: UInt64

        @inline(__always)
        public func prefetch(hash: UInt64) { ByteKeyTable.prefetch(hash: hash, in: slots) }

        /// The value stored for a key kept in the slots (1 to 12 bytes, none of them zero) whose
        /// hash is `hash`, or `.some(nil)` when it is not in the table; nil for any other key.
        public func value(for key: UnsafeRawBufferPointer, hash: UInt64) -> Int32?? {
            let probe = ByteKeyTable.probe(key, hash: hash)
            guard probe.isInline else { return nil }
            return .some(ByteKeyTable.find(probe, in: slots) { _ in false }.value)
        }
    }

    /// See `SlotView`.
    public var slotView: SlotView { SlotView(slots: UnsafeBufferPointer(slots), hashSeed: seed) }

    /// The value stored for a prepared key and its slot, or nil and the empty slot where the key
    /// would go, in `slots`; a key kept in the arena is compared by `matchesLongKey`.
    @inline(__always)
    fileprivate static func find(
        _ probe: Probe, in slots: UnsafeBufferPointer<Slot>, matchesLongKey: (Slot) -> Bool
    ) -> (value: Int32?, slot: Int) {
        var index = home(probe.hash, size: slots.count)
        while true {
            let slot = slots[index]
            if slot.isEmpty { return (nil, index) }
            if probe.isInline {
                // A key in the arena has a zero low byte in `first`, which an inline key never has.
                if slot.first == probe.first && slot.rest == probe.rest { return (slot.value, index) }
            } else if slot.first == longKeyWord(probe.hash) && matchesLongKey(slot) {
                return (slot.value, index)
            }
            index = LinearProbing.next(index, size: slots.count)
        }
    }

    /// Whether the long key a slot holds in the arena is the probe's.
    @inline(__always)
    private func matchesLongKey(_ slot: Slot, _ probe: Probe) -> Bool {
        withKey(of: slot) { stored in
            stored.count == probe.key.count
                && (stored.count == 0 || memcmp(stored.baseAddress!, probe.key.baseAddress!, stored.count) == 0)
        }
    }

    /// The value stored for `key`, or nil.
    public func value(for key: UnsafeRawBufferPointer) -> Int32? { value(for: probe(key)) }

    /// The value stored for a prepared key, or nil.
    public func value(for probe: Probe) -> Int32? { lookup(probe).value }

    /// The value stored for a prepared key and its slot, or nil and the empty slot where the key
    /// would go: an `insert(_:for:at:)` right after costs no second probe.
    public func lookup(_ probe: Probe) -> (value: Int32?, slot: Int) {
        Self.find(probe, in: UnsafeBufferPointer(slots)) { matchesLongKey($0, probe) }
    }

    /// Stores `value` for a key at the slot `lookup` gave for it, with nothing stored since: in the
    /// slot when it is empty, else (the key was there, or the table must grow) through `update`.
    public func insert(_ value: Int32, for probe: Probe, at slot: Int) {
        guard LinearProbing.hasRoom(for: count + 1, in: slots.count), slots[slot].isEmpty else {
            update(value, for: probe)
            return
        }
        store(value, for: probe, at: slot)
    }

    /// Stores `value` for `key` (keys longer than 65,535 bytes are cut there), replacing any
    /// previous value; returns the previous value.
    @discardableResult
    public func update(_ value: Int32, for key: UnsafeRawBufferPointer) -> Int32? {
        update(value, for: probe(key))
    }

    /// Stores `value` for a prepared key, replacing any previous value; returns the previous value.
    @discardableResult
    public func update(_ value: Int32, for probe: Probe) -> Int32? {
        if !LinearProbing.hasRoom(for: count + 1, in: slots.count) { grow() }
        let (previous, index) = lookup(probe)
        if previous != nil {
            slots[index].value = value
        } else {
            store(value, for: probe, at: index)
        }
        return previous
    }

    private func store(_ value: Int32, for probe: Probe, at index: Int) {
        if probe.isInline {
            slots[index] = Slot(first: probe.first, rest: probe.rest, value: value)
        } else {
            precondition(arena.count <= Int(UInt32.max), "a byte-key table holds at most 4 GiB of long keys")
            let offset = UInt32(arena.count)
            withUnsafeBytes(of: UInt16(probe.key.count).littleEndian) { arena.append(contentsOf: $0) }
            arena.append(contentsOf: probe.key)
            slots[index] = Slot(first: Self.longKeyWord(probe.hash), rest: offset, value: value)
        }
        count += 1
    }

    /// Keeps only the entries whose value passes `keep` (rare: after a file fails part-way).
    public func removeAll(where remove: (Int32) -> Bool) {
        let rebuilt = ByteKeyTable(capacity: count, seed: seed)
        for slot in slots where !slot.isEmpty && !remove(slot.value) {
            withKey(of: slot) { _ = rebuilt.update(slot.value, for: $0) }
        }
        memory = rebuilt.memory
        arena = rebuilt.arena
        count = rebuilt.count
    }

    /// Calls `body` with the bytes of a stored slot's key.
    private func withKey<T>(of slot: Slot, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        if !slot.hasLongKey {
            // The key's bytes up to its padding: its words hold no zero byte of their own.
            var words = (slot.first, slot.rest)
            let length =
                slot.rest == 0 ? 8 - slot.first.leadingZeroBitCount / 8 : 12 - slot.rest.leadingZeroBitCount / 8
            return withUnsafeBytes(of: &words) { body(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
        }
        return arena.withUnsafeBytes { stored in
            let offset = Int(slot.rest)
            let length = Int(stored[offset]) | Int(stored[offset + 1]) << 8
            return body(UnsafeRawBufferPointer(rebasing: stored[(offset + 2)..<(offset + 2 + length)]))
        }
    }

    /// Makes room for `capacity` entries in all, so that the table does not grow (and rehash)
    /// on the way there: twice as many slots, half full at most. Each service record looks its
    /// volunteer up here; at three quarters full a hit walks 2.5 slots on average (24 bytes then),
    /// often into a cache line not loaded ahead, which took two thirds of the lookup's time.
    public func reserve(_ capacity: Int) {
        let size = LinearProbing.size(for: capacity * 3 / 2)
        if size > slots.count { rebuild(size: size) }
    }

    private func grow() { rebuild(size: slots.count * 2) }

    /// Places every entry again by its hash in a table of `size` slots (the keys are not copied).
    private func rebuild(size: Int) {
        let old = memory
        memory = ZeroedArray(count: size)
        for slot in old where !slot.isEmpty {
            let hash = withKey(of: slot) { ByteHash.hash($0, seed: seed) }
            var index = Self.home(hash, size: size)
            while !slots[index].isEmpty { index = LinearProbing.next(index, size: size) }
            slots[index] = slot
        }
    }
}
