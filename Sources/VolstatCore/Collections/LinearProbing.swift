/// The arithmetic the open-addressing tables share (`ByteKeyTable`, `PersonIndex`,
/// `FingerprintTable`): any number of slots, not only powers of two, so that a table is sized to
/// what it will hold; a key's home slot is a uniformly random word scaled to the size
/// (multiply-shift), and a probe walks on to the next slot, wrapping at the end (`FingerprintTable`
/// uses the sizing and the home only: its entries spill into buckets after the last instead).
enum LinearProbing {
    /// Slots for `capacity` entries at a load of at most 3/4.
    @inline(__always)
    static func size(for capacity: Int) -> Int { max(16, capacity * 4 / 3 + 1) }

    /// Whether `size` slots hold `count` entries at a load of at most 3/4.
    @inline(__always)
    static func hasRoom(for count: Int, in size: Int) -> Bool { count * 4 <= size * 3 }

    /// The slot a probe starts at for `word` (all of whose bits should be random), in `size` slots.
    @inline(__always)
    static func home(_ word: UInt64, size: Int) -> Int {
        Int(truncatingIfNeeded: word.multipliedFullWidth(by: UInt64(size)).high)
    }

    /// The slot after `index`, wrapping at the end.
    @inline(__always)
    static func next(_ index: Int, size: Int) -> Int { index + 1 == size ? 0 : index + 1 }
}
