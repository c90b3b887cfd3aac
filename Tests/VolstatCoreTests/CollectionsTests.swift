import Testing

@testable import VolstatCore

/// Calls `body` with the UTF-8 bytes of `text`.
func withBytes<T>(_ text: String, _ body: (UnsafeRawBufferPointer) -> T) -> T {
    var text = text
    return text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
}

@Suite("hash tables")
struct CollectionsTests {
    @Test("byte-key table: exact lookups through growth, replacement and removal")
    func byteKeys() {
        let table = ByteKeyTable(capacity: 4)
        for index in 0..<50_000 { withBytes("JX\(index)") { _ = table.update(Int32(index), for: $0) } }
        #expect(table.count == 50_000)
        for index in stride(from: 0, to: 50_000, by: 7) {
            #expect(withBytes("JX\(index)") { table.value(for: $0) } == Int32(index))
        }
        #expect(withBytes("JX50000") { table.value(for: $0) } == nil)
        #expect(withBytes("") { table.update(-1, for: $0) } == nil)
        #expect(withBytes("") { table.value(for: $0) } == -1)
        #expect(withBytes("JX7") { table.update(70, for: $0) } == 7)
        table.removeAll { $0 >= 25_000 }
        #expect(withBytes("JX24999") { table.value(for: $0) } == 24_999)
        #expect(withBytes("JX25000") { table.value(for: $0) } == nil)
        #expect(withBytes("JX7") { table.value(for: $0) } == 70)
    }

    @Test(
        "byte-key table: keys kept in the slot and in the arena, told apart by length and content",
        arguments: Array(1...13) + [16, 17, 40])
    func byteKeyLengths(length: Int) {
        let table = ByteKeyTable(capacity: 2)
        func key(_ index: Int) -> String {
            let digits = String(index)
            return String(repeating: "k", count: max(0, length - digits.count)) + digits
        }
        let count = length == 1 ? 10 : 5_000
        for index in 0..<count { withBytes(key(index)) { _ = table.update(Int32(index), for: $0) } }
        #expect(table.count == count)
        // Ids of 13 to 16 bytes are kept in wide slots, all others in narrow ones.
        #expect(table.isWide == (13...16).contains(length))
        for index in 0..<count {
            #expect(withBytes(key(index)) { table.value(for: $0) } == Int32(index))
        }
        // The view another thread reads through gives the same answers.
        let view = table.slotView
        func viewed(_ text: String) -> Int32?? {
            withBytes(text) { view.value(for: $0, hash: ByteKeyTable.hash($0, seed: view.hashSeed)) }
        }
        for index in stride(from: 0, to: count, by: 3) { #expect(viewed(key(index)) == .some(Int32(index))) }
        #expect(viewed(key(count)) == .some(nil))
        let shorter = String(key(3).dropLast())
        #expect(withBytes(shorter) { table.value(for: $0) } == nil)
        #expect(withBytes(key(3) + "\u{0}") { table.value(for: $0) } == nil)
        #expect(withBytes(key(3)) { table.update(-3, for: $0) } == 3)
        table.removeAll { $0 < 0 }
        #expect(withBytes(key(3)) { table.value(for: $0) } == nil)
        #expect(withBytes(key(count - 1)) { table.value(for: $0) } == Int32(count - 1))
        #expect(table.count == count - 1)
    }

    @Test(
        "byte-key table: keys with zero bytes and bytes of every value, against their zero-padded look-alikes",
        arguments: [false, true])
    func byteKeysWithZeroBytes(wide: Bool) {
        let table = ByteKeyTable(capacity: 2)
        // 2,000 ids first, of 10 bytes (narrow slots) or 13 (wide ones).
        func filler(_ index: Int) -> String { (wide ? "FILLER-" : "F-") + String(100_000 + index) + (wide ? "" : "xx") }
        for index in 0..<2_000 { withBytes(filler(index)) { _ = table.update(Int32(1_000 + index), for: $0) } }
        #expect(table.isWide == wide)
        var keys: [[UInt8]] = [
            "ab", "ab\u{0}", "a\u{0}b", "\u{0}", "\u{0}\u{0}", "", "abcdefg\u{0}", "abcdefg", "abcdefgh\u{0}",
            "abcdefgh", "abc\u{0}efghij", "abcdefghijk\u{0}", "abcdefghijk", "abcdefghijklmno\u{0}", "abcdefghijklmno",
        ].map { Array($0.utf8) }
        // Every length kept in a slot, ending in the smallest and largest bytes.
        for length in 1...16 {
            for last: UInt8 in [0x01, 0x7F, 0x80, 0xFF] {
                keys.append([UInt8](repeating: 0x41, count: length - 1) + [last])
            }
        }
        func value(_ key: [UInt8]) -> Int32? { key.withUnsafeBytes { table.value(for: $0) } }
        for (index, key) in keys.enumerated() { key.withUnsafeBytes { _ = table.update(Int32(index), for: $0) } }
        // Growth places every key again from its bytes.
        for index in 2_000..<6_000 { withBytes(filler(index)) { _ = table.update(Int32(1_000 + index), for: $0) } }
        #expect(table.isWide == wide)
        for (index, key) in keys.enumerated() {
            #expect(value(key) == Int32(index), "\(key)")
            let viewed = key.withUnsafeBytes {
                table.slotView.value(for: $0, hash: ByteKeyTable.hash($0, seed: table.hashSeed))
            }
            #expect(viewed == .some(Int32(index)), "\(key)")
        }
        #expect(value(Array("a\u{0}c".utf8)) == nil)
        #expect(table.count == keys.count + 6_000)
        // Removal places the kept keys again, zero bytes and all.
        table.removeAll { $0 % 2 == 1 }
        for (index, key) in keys.enumerated() { #expect(value(key) == (index % 2 == 1 ? nil : Int32(index)), "\(key)") }
        #expect(table.isWide == wide)
    }

    @Test("byte-key table: changes to wide slots once ids of 13 to 16 bytes are more than an eighth, keeping every key")
    func byteKeysChangeLayout() {
        let table = ByteKeyTable(capacity: 100_000)
        func key(_ index: Int) -> String { index % 3 == 0 ? "PLAT-B-\(100_000 + index)" : "A\(index)" }
        for index in 0..<30_000 {
            // Half through `update`, half as the validator adds a source id: a lookup, then an
            // insert at the slot it gave.
            withBytes(key(index)) { bytes in
                if index % 2 == 0 {
                    _ = table.update(Int32(index), for: bytes)
                } else {
                    let probe = table.probe(bytes)
                    let found = table.lookup(probe)
                    #expect(found.value == nil)
                    table.insert(Int32(index), for: probe, at: found.slot)
                }
            }
            // 13-byte ids are a third of the keys: the table changes over at its 64th key.
            #expect(table.isWide == (index >= 63))
        }
        #expect(table.count == 30_000)
        let view = table.slotView
        for index in stride(from: 0, to: 30_000, by: 7) {
            #expect(withBytes(key(index)) { table.value(for: $0) } == Int32(index))
            #expect(
                withBytes(key(index)) { view.value(for: $0, hash: ByteKeyTable.hash($0, seed: view.hashSeed)) }
                    == .some(Int32(index)))
        }
        table.reserve(200_000)
        #expect(table.isWide)
        #expect(withBytes(key(29_999)) { table.value(for: $0) } == 29_999)
        // Without the 13-byte ids, the entries kept go back to narrow slots.
        table.removeAll { $0 % 3 == 0 }
        #expect(!table.isWide)
        #expect(table.count == 20_000)
        #expect(withBytes(key(29_998)) { table.value(for: $0) } == 29_998)
        #expect(withBytes(key(29_997)) { table.value(for: $0) } == nil)
    }

    @Test("person index: dense numbers, lookups and truncation")
    func persons() {
        let index = PersonIndex(capacity: 2)
        for n in 0..<10_000 {
            #expect(index.insert(PersonKey(high: UInt64(n), low: UInt64(n) &* 0x9E37_79B9)) == (Int32(n), true))
        }
        #expect(index.insert(PersonKey(high: 5, low: 5 &* 0x9E37_79B9)) == (5, false))
        // Keys that share their low bits are still told apart by their high bits.
        #expect(index.insert(PersonKey(high: 99_999, low: 5 &* 0x9E37_79B9)) == (10_000, true))
        index.truncate(to: 100)
        #expect(index.count == 100)
        #expect(index.index(of: PersonKey(high: 99, low: 99 &* 0x9E37_79B9)) == 99)
        #expect(index.index(of: PersonKey(high: 100, low: 100 &* 0x9E37_79B9)) == nil)
    }

    @Test("prefaulted array: appends past small and mapped sizes, writes, truncation and copies apart")
    func prefaultedArray() {
        var numbers = PrefaultedArray<Int64>()
        for n in 0..<300_000 { numbers.append(Int64(n) * 3) }
        #expect(numbers.count == 300_000)
        #expect(numbers.capacity >= 300_000)
        #expect(numbers.elementsEqual((0..<300_000).lazy.map { Int64($0) * 3 }))
        var copy = numbers
        numbers[7] = -1
        numbers.withUnsafeMutableBufferPointer { $0[8] = -2 }
        #expect(copy[7] == 21 && copy[8] == 24)
        #expect(numbers[7] == -1 && numbers[8] == -2)
        copy.removeSubrange(10...)
        copy.append(99)
        #expect(Array(copy) == [0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 99])
        #expect(numbers[10] == 30)
        // Shared storage: each first write (truncate and append, a write through the buffer)
        // leaves the other copy as it was.
        let original = copy
        var truncated = copy
        truncated.removeSubrange(2...)
        truncated.append(-5)
        var written = copy
        written.withUnsafeMutableBufferPointer { $0[0] = -6 }
        #expect(Array(original) == [0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 99])
        #expect(Array(truncated) == [0, 3, -5])
        #expect(Array(written.prefix(2)) == [-6, 3])
        #expect(copy[2] == 6 && copy[0] == 0)
        var reserved = PrefaultedArray<Int32>()
        reserved.reserveCapacity(1 << 20)
        #expect(reserved.capacity == 1 << 20 && reserved.isEmpty)
        reserved.append(5)
        #expect(Array(reserved) == [5])
    }

    @Test("sparse zeroed array: zeros until written, scattered writes kept, copies apart")
    func sparseZeroedArray() {
        var codes = ZeroedArray<Int32>(sparseCount: 1_000_000)
        #expect(codes.count == 1_000_000)
        #expect(codes[0] == 0 && codes[360_102] == 0 && codes[999_999] == 0)
        for code in stride(from: 110_101, to: 1_000_000, by: 97_531) { codes[code] = Int32(code % 1_000) + 1 }
        let copy = codes
        codes[360_102] = 7
        #expect(copy[360_102] == 0)
        #expect(codes[360_102] == 7)
        for code in stride(from: 110_101, to: 1_000_000, by: 97_531) {
            #expect(codes[code] == Int32(code % 1_000) + 1)
            #expect(copy[code] == Int32(code % 1_000) + 1)
        }
        #expect(codes.filter { $0 != 0 }.count == 11)
        #expect(copy.filter { $0 != 0 }.count == 10)
    }

    @Test("fingerprint table remembers ids and forgets a file's")
    func fingerprints() {
        let table = FingerprintTable(seed: 42)
        let prints = (0..<20_000).map { index in withBytes("SR\(index)") { table.fingerprint($0) } }
        #expect(Set(prints).count == prints.count)
        for (index, print) in prints.enumerated() { #expect(table.insert(print, file: Int32(index % 3))) }
        #expect(table.count == 20_000)
        #expect(!table.insert(prints[4], file: 2))
        table.forget(file: 1)
        #expect(!table.contains(prints[4]) && table.contains(prints[3]) && table.contains(prints[5]))
        #expect(table.count == 20_000 - prints.indices.filter { $0 % 3 == 1 }.count)
        #expect(withBytes("SR3") { table.fingerprint($0) } == prints[3])
        #expect(withBytes("SR3") { FingerprintTable(seed: 43).fingerprint($0) } != prints[3])
    }

    @Test("fingerprint table keeps the first file of an id, so forgetting a later file keeps it")
    func fingerprintFirstFile() {
        let table = FingerprintTable(seed: 1)
        #expect(table.insert(77, file: 0))
        let (found, slot) = table.lookup(77)
        #expect(found && slot >= 0)
        #expect(!table.insert(77, file: 1))
        #expect(table.insert(78, file: 1))
        table.forget(file: 1)
        #expect(table.contains(77) && !table.contains(78) && table.count == 1)
        table.forget(file: 0)
        #expect(!table.contains(77) && table.count == 0)
    }

    @Test("fingerprint table grows from small to large, keeping full 64-bit fingerprints apart")
    func fingerprintGrowth() {
        let table = FingerprintTable(capacity: 16, seed: 5)
        var generator = SplitMix(seed: 9)
        let prints = (0..<300_000).map { _ in generator.next() }
        for print in prints { table.insert(print, file: 0) }
        #expect(table.count == prints.count)
        #expect(prints.allSatisfy { table.contains($0) })
        #expect(prints.prefix(1_000).allSatisfy { !table.contains($0 ^ 1) })
        table.reserve(3_000_000)
        #expect(table.count == prints.count && prints.allSatisfy { table.contains($0) })
    }

    @Test("fingerprint table rebuilds entries at both ends and in the overflow buckets exactly")
    func fingerprintEdges() {
        let table = FingerprintTable(capacity: 16, seed: 5)
        // Crowded at the top (their homes are the last buckets, so many spill into the overflow
        // ones) and at the bottom: high bytes 255 and 0.
        let top = (0..<150).map { UInt64.max - UInt64($0) << 20 }
        let bottom = (0..<150).map { UInt64($0) << 20 | 1 }
        for print in top + bottom { #expect(table.insert(print, file: 0)) }
        // Same low 56 bits, high byte one off: a different id in a bucket about 34 further.
        #expect(top.allSatisfy { !table.contains($0 ^ (1 << 56)) })
        #expect(bottom.allSatisfy { !table.contains($0 | (1 << 56)) })
        table.reserve(1_000_000)
        #expect(table.count == 300 && (top + bottom).allSatisfy { table.contains($0) })
        #expect(top.allSatisfy { !table.contains($0 ^ (1 << 56)) })
    }

    @Test("fingerprint table tells 300 files apart, renumbering after 254")
    func fingerprintGenerations() {
        let table = FingerprintTable(seed: 3)
        func print(_ file: Int, _ row: Int) -> UInt64 { UInt64(file * 1_000 + row) &* 0x9E37_79B9_7F4A_7C15 }
        for file in 0..<300 {
            for row in 0..<10 { table.insert(print(file, row), file: Int32(file)) }
        }
        #expect(table.count == 3_000)
        table.forget(file: 299)
        table.forget(file: 260)
        #expect(table.count == 2_980)
        // Renumbered: files before the 255th can no longer be told apart, so this forgets nothing.
        table.forget(file: 100)
        #expect(table.count == 2_980)
        for file in 0..<300 {
            let kept = file != 299 && file != 260
            #expect((0..<10).allSatisfy { table.contains(print(file, $0)) == kept })
        }
    }
}

/// A small deterministic generator of uniformly random words for the tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("reserving room in the hash tables")
struct ReserveTests {
    @Test("reserve keeps every entry and a hash computed elsewhere finds them")
    func reserveKeepsEntries() {
        let keys = ByteKeyTable(capacity: 4)
        let prints = FingerprintTable(seed: 7)
        let persons = PersonIndex(capacity: 4)
        for index in 0..<1_000 {
            withBytes("V\(index)") { _ = keys.update(Int32(index), for: $0) }
            prints.insert(withBytes("R\(index)") { prints.fingerprint($0) }, file: Int32(index))
            _ = persons.insert(PersonKey(high: UInt64(index), low: UInt64(index) &* 0x9E37_79B9))
        }
        keys.reserve(100_000)
        prints.reserve(100_000)
        persons.reserve(100_000)
        for index in stride(from: 0, to: 1_000, by: 37) {
            let probe = withBytes("V\(index)") { bytes in
                keys.value(for: keys.probe(bytes, hash: ByteKeyTable.hash(bytes, seed: keys.hashSeed)))
            }
            #expect(probe == Int32(index))
            let print = withBytes("R\(index)") { FingerprintTable.fingerprint($0, seed: prints.seed) }
            #expect(prints.contains(print))
            #expect(
                persons.index(of: PersonKey(high: UInt64(index), low: UInt64(index) &* 0x9E37_79B9)) == Int32(index))
        }
        #expect(keys.count == 1_000 && prints.count == 1_000 && persons.count == 1_000)
        prints.forget(file: 999)
        #expect(prints.count == 999 && !prints.contains(withBytes("R999") { prints.fingerprint($0) }))
    }

    @Test(
        "prepared values: key hashes, fingerprints, dates, region codes and hours as the tables and parsers compute them"
    )
    func preparedValues() {
        withBytes("V000123") { bytes in
            #expect(
                RowPreparation.compute(.keyHash(seed: 9), bytes)
                    == Int64(bitPattern: ByteKeyTable.hash(bytes, seed: 9)))
            #expect(
                RowPreparation.compute(.fingerprint(seed: 9), bytes)
                    == Int64(bitPattern: FingerprintTable(seed: 9).fingerprint(bytes)))
        }
        #expect(
            withBytes("2022-03-04 10:30") { RowPreparation.compute(.timestamp, $0) }
                == Timestamp("2022-03-04 10:30")!.secondsSinceEpoch)
        #expect(withBytes("2022-02-30") { RowPreparation.compute(.timestamp, $0) } == RowPreparation.invalid)
        #expect(withBytes("360702") { RowPreparation.compute(.regionCode, $0) } == 360_702)
        #expect(withBytes("36070") { RowPreparation.compute(.regionCode, $0) } == RowPreparation.invalid)
        #expect(withBytes("7.75") { RowPreparation.compute(.hours, $0) } == 775)
        #expect(withBytes("seven") { RowPreparation.compute(.hours, $0) } == RowPreparation.invalid)
    }
}

@Suite("byte hash")
struct ByteHashTests {
    /// The hash with its tail gathered byte by byte, as it was defined first.
    static func reference(_ bytes: [UInt8], seed: UInt64) -> UInt64 {
        var h = seed ^ (UInt64(bytes.count) &* 0x9E37_79B9_7F4A_7C15)
        var offset = 0
        while offset + 8 <= bytes.count {
            var word: UInt64 = 0
            for index in 0..<8 { word |= UInt64(bytes[offset + index]) << UInt64(8 * index) }
            h = (h ^ ByteHash.mix(word &+ 0x9E37_79B9_7F4A_7C15)) &* 0xBF58_476D_1CE4_E5B9
            offset += 8
        }
        if offset < bytes.count {
            var tail: UInt64 = 0
            for index in offset..<bytes.count { tail |= UInt64(bytes[index]) << UInt64(8 * (index - offset)) }
            h = (h ^ ByteHash.mix(tail &+ 0x94D0_49BB_1331_11EB)) &* 0xBF58_476D_1CE4_E5B9
        }
        return ByteHash.mix(h)
    }

    @Test("the tail read in one load hashes as the bytes gathered one by one, for every length up to 40")
    func tailInOneLoad() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...40 {
            for _ in 0..<50 {
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let seed = UInt64.random(in: 0...UInt64.max, using: &generator)
                #expect(bytes.withUnsafeBytes { ByteHash.hash($0, seed: seed) } == Self.reference(bytes, seed: seed))
            }
        }
    }
}
