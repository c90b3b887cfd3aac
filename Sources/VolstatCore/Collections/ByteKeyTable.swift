import CSystemShims

#if canImport(Glibc)
    import Glibc
#endif

/// An exact hash map from short byte strings (source ids) to `Int32`, with no `String` per key.
///
/// Open addressing with linear probing; the table doubles at three quarters full. Its slots have
/// one of two layouts, chosen by the keys it is given:
/// - narrow (16 bytes, four to a cache line), from the start: a key of 1 to 12 bytes without a
///   zero byte (a typical source id) is kept in its slot, zero-padded, and compared as two words;
/// - wide (24 bytes), once more than an eighth of the keys are ones only it keeps in the slot (up
///   to 16 bytes, any bytes): each such key then costs one cache line instead of two.
///
/// Any other key is kept in an arena and compared there. Ids of 11 bytes took 10-15 % less time
/// in narrow slots than in wide ones; ids of 15 bytes 10 % more, kept in the arena.
///
/// A class, held by a `let`: a lookup through a stored struct retained and released its slots'
/// storage around every call.
public final class ByteKeyTable {
    /// A narrow slot: empty when `first` is 0. A key kept in the slot is its bytes 0..<8 in
    /// `first` and 8..<12 in `rest`, zero-padded (its first byte is not zero, so neither is
    /// `first`'s low byte); a key in the arena has its offset there in `rest` and, in `first`,
    /// bits 9-63 of its hash with the low byte zero and bit 8 set (`longKeyWord`).
    struct NarrowSlot {
        var first: UInt64 = 0
        var rest: UInt32 = 0
        var value: Int32 = 0

        var isEmpty: Bool { first == 0 }
        var hasLongKey: Bool { first & 0xFF == 0 }
    }

    /// A wide slot: `tag` holds 16 bits of the hash (0 = empty, so stored tags are never 0);
    /// `first` and `second` hold the key's bytes, zero-padded, when it has at most 16 of them,
    /// otherwise `first` is the key's offset in the arena.
    struct WideSlot {
        var first: UInt64 = 0
        var second: UInt64 = 0
        var tag: UInt16 = 0
        var length: UInt16 = 0
        var value: Int32 = 0
    }

    /// The `first` word of a narrow slot whose key, of hash `hash`, is kept in the arena.
    @inline(__always)
    static func longKeyWord(_ hash: UInt64) -> UInt64 { hash & ~0x1FF | 0x100 }

    /// A key prepared for lookups: its bytes (cut at 65,535), hash and tag, its bytes as two
    /// zero-padded words when it has at most 16, and whether a narrow slot keeps it. Preparing once serves a
    /// prefetch, a lookup and an update of the same key.
    public struct Probe {
        let key: UnsafeRawBufferPointer
        let hash: UInt64
        let tag: UInt16
        var first: UInt64 = 0
        var second: UInt64 = 0
        var fitsNarrow = false

        var fitsWide: Bool { key.count <= ByteKeyTable.wideLength }
    }

    static let narrowLength = 12
    static let wideLength = 16

    /// Owns the slots of the layout in use (the other is empty), which lookups read through
    /// `narrowSlots` or `wideSlots` (their memory).
    private var narrowMemory: ZeroedArray<NarrowSlot> { didSet { narrowSlots = narrowMemory.unsafeBuffer } }
    private var narrowSlots: UnsafeMutableBufferPointer<NarrowSlot>
    private var wideMemory = ZeroedArray<WideSlot>(count: 0) { didSet { wideSlots = wideMemory.unsafeBuffer } }
    private var wideSlots = UnsafeMutableBufferPointer<WideSlot>(start: nil, count: 0)
    private(set) var isWide = false
    /// The long keys, each as its length (2 bytes) and its bytes.
    private var arena = PrefaultedArray<UInt8>() { didSet { arenaElements = arena.unsafeElements } }
    /// `arena`'s bytes, for lookups: valid until the arena next changes.
    private var arenaElements = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    public private(set) var count = 0
    /// The keys stored so far that a wide slot would keep and a narrow one does not.
    private var keysFittingOnlyWide = 0
    private let seed: UInt64

    /// Sized (see `LinearProbing`) to hold `capacity` keys without growing.
    public init(capacity: Int = 1024, seed: UInt64 = 0x5851_F42D_4C95_7F2D) {
        narrowMemory = ZeroedArray(count: LinearProbing.size(for: capacity))
        narrowSlots = narrowMemory.unsafeBuffer
        self.seed = seed
    }

    private var slotCount: Int { isWide ? wideSlots.count : narrowSlots.count }

    /// The slot a hash's probe starts at: its low 48 bits scaled to the size (the high 16 are the
    /// wide slots' tag, which must not follow the slot).
    @inline(__always)
    private static func home(_ hash: UInt64, size: Int) -> Int { LinearProbing.home(hash << 16, size: size) }

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
        let tag = UInt16(truncatingIfNeeded: hash >> 48)
        var probe = Probe(key: key, hash: hash, tag: tag == 0 ? 1 : tag)
        guard key.count >= 1, key.count <= wideLength, let base = key.baseAddress else { return probe }
        withUnsafeMutableBytes(of: &probe.first) {
            $0.copyMemory(from: UnsafeRawBufferPointer(start: base, count: min(key.count, 8)))
        }
        if key.count > 8 {
            withUnsafeMutableBytes(of: &probe.second) {
                $0.copyMemory(from: UnsafeRawBufferPointer(start: base + 8, count: key.count - 8))
            }
        }
        guard key.count <= narrowLength else { return probe }
        // Zero-padded words tell keys apart only when the key itself has no zero byte: set the
        // padding's bytes, and look for a zero byte in what is left (little-endian words).
        let firstPadding: UInt64 = key.count >= 8 ? 0 : ~0 << (8 * UInt64(key.count))
        let secondPadding: UInt64 = key.count <= 8 ? ~0 : ~0 << (8 * UInt64(key.count - 8))
        probe.fitsNarrow =
            !hasZeroByte(probe.first | firstPadding) && !hasZeroByte(probe.second | secondPadding)
        return probe
    }

    /// Whether any of a word's 8 bytes is zero.
    @inline(__always)
    private static func hasZeroByte(_ word: UInt64) -> Bool { WordBytes.zeroBytes(word) != 0 }

    /// Starts loading the slot where a key with this hash would be, so that a lookup soon after
    /// finds it in cache.
    @inline(__always)
    public func prefetch(hash: UInt64) {
        if isWide {
            SlotView.prefetch(hash: hash, in: UnsafeBufferPointer(wideSlots))
        } else {
            SlotView.prefetch(hash: hash, in: UnsafeBufferPointer(narrowSlots))
        }
    }

    /// A look at the table's slots and long keys from another thread, without reference
    /// counting: valid while the table is neither changed nor freed, which its owner guarantees
    /// (see `RowPreparation.KeyLookup`).
    public struct SlotView: @unchecked Sendable {
        fileprivate let narrowSlots: UnsafeBufferPointer<NarrowSlot>
        fileprivate let wideSlots: UnsafeBufferPointer<WideSlot>
        fileprivate let isWide: Bool
        fileprivate let arena: UnsafeBufferPointer<UInt8>
        public let hashSeed: UInt64

        @inline(__always)
        public func prefetch(hash: UInt64) {
            if isWide {
                Self.prefetch(hash: hash, in: wideSlots)
            } else {
                Self.prefetch(hash: hash, in: narrowSlots)
            }
        }

        @inline(__always)
        fileprivate static func prefetch(hash: UInt64, in slots: UnsafeBufferPointer<WideSlot>) {
            // A 24-byte slot lies across two cache lines in two cases of eight: load both.
            let slot = UnsafeRawPointer(slots.baseAddress! + home(hash, size: slots.count))
            volstat_prefetch(slot)
            volstat_prefetch(slot + (MemoryLayout<WideSlot>.stride - 1))
        }

        @inline(__always)
        fileprivate static func prefetch(hash: UInt64, in slots: UnsafeBufferPointer<NarrowSlot>) {
            // 16-byte slots in memory aligned to 16 never lie across two cache lines.
            volstat_prefetch(UnsafeRawPointer(slots.baseAddress! + home(hash, size: slots.count)))
        }

        /// The value stored for a key whose hash is `hash`, or `.some(nil)` when it is not in the
        /// table (never nil: every key is looked up, in the slots or in the arena).
        public func value(for key: UnsafeRawBufferPointer, hash: UInt64) -> Int32?? {
            .some(find(ByteKeyTable.probe(key, hash: hash)).value)
        }

        /// The value stored for a prepared key and its slot, or nil and the empty slot where the
        /// key would go.
        @inline(__always)
        fileprivate func find(_ probe: Probe) -> (value: Int32?, slot: Int) {
            isWide ? findWide(probe) : findNarrow(probe)
        }

        @inline(__always)
        private func findNarrow(_ probe: Probe) -> (value: Int32?, slot: Int) {
            let wanted = probe.fitsNarrow ? probe.first : ByteKeyTable.longKeyWord(probe.hash)
            let rest = UInt32(truncatingIfNeeded: probe.second)
            var index = home(probe.hash, size: narrowSlots.count)
            while true {
                let slot = narrowSlots[index]
                if slot.isEmpty { return (nil, index) }
                // A key in the arena has a zero low byte in `first`, which a key in the slot never has.
                if slot.first == wanted {
                    if probe.fitsNarrow ? slot.rest == rest : longKey(at: Int(slot.rest)) == probe.key {
                        return (slot.value, index)
                    }
                }
                index = LinearProbing.next(index, size: narrowSlots.count)
            }
        }

        @inline(__always)
        private func findWide(_ probe: Probe) -> (value: Int32?, slot: Int) {
            var index = home(probe.hash, size: wideSlots.count)
            while true {
                let slot = wideSlots[index]
                if slot.tag == 0 { return (nil, index) }
                if slot.tag == probe.tag, Int(slot.length) == probe.key.count,
                    probe.fitsWide
                        ? slot.first == probe.first && slot.second == probe.second
                        : longKey(at: Int(slot.first)) == probe.key
                {
                    return (slot.value, index)
                }
                index = LinearProbing.next(index, size: wideSlots.count)
            }
        }

        /// The bytes of the long key at `offset` in the arena.
        @inline(__always)
        fileprivate func longKey(at offset: Int) -> LongKey {
            let length = Int(arena[offset]) | Int(arena[offset + 1]) << 8
            return LongKey(
                bytes: UnsafeRawBufferPointer(
                    rebasing: UnsafeRawBufferPointer(arena)[(offset + 2)..<(offset + 2 + length)]))
        }
    }

    /// A key's bytes in the arena, compared with a probe's bytes.
    fileprivate struct LongKey {
        let bytes: UnsafeRawBufferPointer

        static func == (stored: LongKey, key: UnsafeRawBufferPointer) -> Bool {
            stored.bytes.count == key.count
                && (key.count == 0 || memcmp(stored.bytes.baseAddress!, key.baseAddress!, key.count) == 0)
        }
    }

    /// See `SlotView`.
    public var slotView: SlotView {
        SlotView(
            narrowSlots: UnsafeBufferPointer(narrowSlots), wideSlots: UnsafeBufferPointer(wideSlots), isWide: isWide,
            arena: arenaElements, hashSeed: seed)
    }

    /// The value stored for `key`, or nil.
    public func value(for key: UnsafeRawBufferPointer) -> Int32? { value(for: probe(key)) }

    /// The value stored for a prepared key, or nil.
    public func value(for probe: Probe) -> Int32? { lookup(probe).value }

    /// The value stored for a prepared key and its slot, or nil and the empty slot where the key
    /// would go: an `insert(_:for:at:)` right after costs no second probe.
    public func lookup(_ probe: Probe) -> (value: Int32?, slot: Int) { slotView.find(probe) }

    /// Stores `value` for a key at the slot `lookup` gave for it, with nothing stored since: in the
    /// slot when it is empty, else (the key was there, or the table must grow) through `update`.
    public func insert(_ value: Int32, for probe: Probe, at slot: Int) {
        let isEmpty = isWide ? wideSlots[slot].tag == 0 : narrowSlots[slot].isEmpty
        guard LinearProbing.hasRoom(for: count + 1, in: slotCount), isEmpty else {
            update(value, for: probe)
            return
        }
        store(value, for: probe, at: slot)
        chooseLayout()
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
        if !LinearProbing.hasRoom(for: count + 1, in: slotCount) { rebuild(size: slotCount * 2, wide: isWide) }
        let (previous, index) = lookup(probe)
        if previous != nil {
            if isWide { wideSlots[index].value = value } else { narrowSlots[index].value = value }
        } else {
            store(value, for: probe, at: index)
            chooseLayout()
        }
        return previous
    }

    private func store(_ value: Int32, for probe: Probe, at index: Int) {
        if isWide {
            var slot = WideSlot(tag: probe.tag, length: UInt16(probe.key.count), value: value)
            if probe.fitsWide {
                slot.first = probe.first
                slot.second = probe.second
            } else {
                slot.first = UInt64(appendToArena(probe.key))
            }
            wideSlots[index] = slot
        } else if probe.fitsNarrow {
            narrowSlots[index] = NarrowSlot(
                first: probe.first, rest: UInt32(truncatingIfNeeded: probe.second), value: value)
        } else {
            let offset = appendToArena(probe.key)
            precondition(offset <= Int(UInt32.max), "a byte-key table holds at most 4 GiB of long keys")
            narrowSlots[index] = NarrowSlot(first: Self.longKeyWord(probe.hash), rest: UInt32(offset), value: value)
            if probe.fitsWide { keysFittingOnlyWide += 1 }
        }
        count += 1
    }

    /// Changes to wide slots, for good, once there are 64 keys and more than an eighth of them fit
    /// only those (ids of 13 to 16 bytes). Called after a key is added, never while the entries
    /// are placed again (which would judge by a part of them). The narrow slots given up stop
    /// being faulted in (see `ZeroedArray`).
    private func chooseLayout() {
        if !isWide, count >= 64, keysFittingOnlyWide * 8 > count { rebuild(size: slotCount, wide: true) }
    }

    /// Appends a long key to the arena (its length, then its bytes) and returns its offset.
    private func appendToArena(_ key: UnsafeRawBufferPointer) -> Int {
        let offset = arena.count
        withUnsafeBytes(of: UInt16(key.count).littleEndian) { arena.append(contentsOf: $0.bindMemory(to: UInt8.self)) }
        arena.append(contentsOf: key.bindMemory(to: UInt8.self))
        return offset
    }

    /// Removes the entries whose value `remove` picks (rare: after a file fails part-way); the
    /// entries kept are placed again, in the layout they call for.
    public func removeAll(where remove: (Int32) -> Bool) {
        let rebuilt = ByteKeyTable(capacity: count, seed: seed)
        forEachEntry { key, value, _ in
            if !remove(value) { rebuilt.update(value, for: key) }
        }
        (narrowMemory, wideMemory, isWide) = (rebuilt.narrowMemory, rebuilt.wideMemory, rebuilt.isWide)
        (arena, count, keysFittingOnlyWide) = (rebuilt.arena, rebuilt.count, rebuilt.keysFittingOnlyWide)
    }

    /// Calls `body` with the bytes, value and slot of every stored entry.
    private func forEachEntry(_ body: (UnsafeRawBufferPointer, Int32, Int) -> Void) {
        let view = slotView
        if isWide {
            for (index, slot) in wideSlots.enumerated() where slot.tag != 0 {
                if Int(slot.length) > Self.wideLength {
                    body(view.longKey(at: Int(slot.first)).bytes, slot.value, index)
                } else {
                    var words = (slot.first, slot.second)
                    withUnsafeBytes(of: &words) {
                        body(UnsafeRawBufferPointer(rebasing: $0[0..<Int(slot.length)]), slot.value, index)
                    }
                }
            }
            return
        }
        for (index, slot) in narrowSlots.enumerated() where !slot.isEmpty {
            if slot.hasLongKey {
                body(view.longKey(at: Int(slot.rest)).bytes, slot.value, index)
            } else {
                // The key's bytes up to its padding: its words hold no zero byte of their own.
                var words = (slot.first, slot.rest)
                let length =
                    slot.rest == 0 ? 8 - slot.first.leadingZeroBitCount / 8 : 12 - slot.rest.leadingZeroBitCount / 8
                withUnsafeBytes(of: &words) {
                    body(UnsafeRawBufferPointer(rebasing: $0[0..<length]), slot.value, index)
                }
            }
        }
    }

    /// Makes room for `capacity` entries in all, so that the table does not grow (and rehash)
    /// on the way there: one and a half times as many slots, two thirds full at most, so that an
    /// estimate up to an eighth low still fits. Each service record looks its volunteer up here.
    /// With 24-byte slots, at three quarters full a hit walked 2.5 slots on average, often into a
    /// cache line not loaded ahead, which took two thirds of the lookup's time, so this was twice
    /// as many slots; with 16-byte ones (four to a cache line) a table three quarters full was as
    /// fast at 1 x (10 alternating pairs: 0.92 against 0.92 s) and at 10 x (8 pairs, medians 9.4
    /// and 9.8 against 9.6 and 10.3 s). Two thirds leaves room for a low estimate, 85 MB less than
    /// half full at 10 x. The 24-byte layout, taken for ids of 13 to 16 bytes, is sized the same
    /// and was not timed at this fill.
    public func reserve(_ capacity: Int) {
        let size = LinearProbing.size(for: capacity * 9 / 8)
        if size > slotCount { rebuild(size: size, wide: isWide) }
    }

    /// Places every entry again, in a table of `size` slots of the layout `wide`: in the same
    /// layout each slot is moved as it is (its long key stays where it is in the arena); to the
    /// other one each key is stored again.
    private func rebuild(size: Int, wide: Bool) {
        let old = ByteKeyTable(capacity: 0, seed: seed)
        (old.narrowMemory, old.wideMemory, old.isWide, old.arena) = (narrowMemory, wideMemory, isWide, arena)
        guard wide == isWide else {
            assert(wide, "a table changes from narrow slots to wide ones only")
            (narrowMemory, wideMemory, isWide) = (ZeroedArray(count: 0), ZeroedArray(count: size), true)
            (arena, count, keysFittingOnlyWide) = (PrefaultedArray(), 0, 0)
            old.forEachEntry { key, value, _ in
                let probe = probe(key)
                store(value, for: probe, at: lookup(probe).slot)
            }
            return
        }
        if wide { wideMemory = ZeroedArray(count: size) } else { narrowMemory = ZeroedArray(count: size) }
        old.forEachEntry { key, _, from in
            var index = Self.home(ByteHash.hash(key, seed: seed), size: size)
            if wide {
                while wideSlots[index].tag != 0 { index = LinearProbing.next(index, size: size) }
                wideSlots[index] = old.wideSlots[from]
            } else {
                while !narrowSlots[index].isEmpty { index = LinearProbing.next(index, size: size) }
                narrowSlots[index] = old.narrowSlots[from]
            }
        }
    }
}
