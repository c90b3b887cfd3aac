import VolstatIngest

#if canImport(Glibc)
    import Glibc
#endif

/// Writes records to standard output as JSON Lines through a large buffer, escaping bytes
/// directly (no `String` per field). The hot loop works on local pointers only.
final class JSONLinesWriter {
    private var storage: UnsafeMutableRawBufferPointer
    private var count = 0
    private var keys: [[UInt8]] = []

    init(capacity: Int = 1 << 20) {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
    }

    deinit {
        flush()
        storage.deallocate()
    }

    func write(_ reader: any RecordReader) {
        let names = reader.fieldNames
        while keys.count < names.count { keys.append(Self.quotedKey(names[keys.count])) }
        let slots = reader.presentSlots
        var bound = 3
        for slot in slots { bound += keys[slot].count + 4 + (reader.value(at: slot)?.count ?? 0) * 6 }
        reserve(bound)
        let base = storage.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var position = count
        base[position] = UInt8(ascii: "{")
        position += 1
        var first = true
        for slot in slots {
            guard let value = reader.value(at: slot) else { continue }
            if !first {
                base[position] = UInt8(ascii: ",")
                position += 1
            }
            first = false
            keys[slot].withUnsafeBytes { key in
                (base + position).update(from: key.baseAddress!.assumingMemoryBound(to: UInt8.self), count: key.count)
                position += key.count
            }
            base[position] = UInt8(ascii: ":")
            position = Self.appendQuoted(value, to: base, at: position + 1)
        }
        base[position] = UInt8(ascii: "}")
        base[position + 1] = 0x0A
        count = position + 2
    }

    func flush() {
        var offset = 0
        while offset < count {
            let written = Glibc.write(1, storage.baseAddress! + offset, count - offset)
            if written <= 0 {
                if written < 0 && errno == EINTR { continue }
                break
            }
            offset += written
        }
        count = 0
    }

    /// Makes room for `bytes` more bytes, flushing first and growing only for a huge record.
    private func reserve(_ bytes: Int) {
        if count + bytes > storage.count { flush() }
        if bytes > storage.count {
            storage.deallocate()
            storage = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: 64)
        }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Writes `bytes` as a JSON string at `position` (room for six bytes per input byte is
    /// reserved by the caller) and returns the position after it.
    private static func appendQuoted(
        _ bytes: UnsafeRawBufferPointer, to base: UnsafeMutablePointer<UInt8>, at start: Int
    ) -> Int {
        var position = start
        base[position] = UInt8(ascii: "\"")
        position += 1
        for byte in bytes {
            if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                base[position] = byte
                position += 1
                continue
            }
            base[position] = UInt8(ascii: "\\")
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                base[position + 1] = byte
                position += 2
            case 0x0A:
                base[position + 1] = UInt8(ascii: "n")
                position += 2
            case 0x0D:
                base[position + 1] = UInt8(ascii: "r")
                position += 2
            case 0x09:
                base[position + 1] = UInt8(ascii: "t")
                position += 2
            default:
                base[position + 1] = UInt8(ascii: "u")
                base[position + 2] = UInt8(ascii: "0")
                base[position + 3] = UInt8(ascii: "0")
                base[position + 4] = hex[Int(byte >> 4)]
                base[position + 5] = hex[Int(byte & 0x0F)]
                position += 6
            }
        }
        base[position] = UInt8(ascii: "\"")
        return position + 1
    }

    private static func quotedKey(_ name: String) -> [UInt8] {
        var name = name
        return name.withUTF8 { bytes in
            [UInt8](unsafeUninitializedCapacity: bytes.count * 6 + 2) { buffer, initialized in
                initialized = appendQuoted(UnsafeRawBufferPointer(bytes), to: buffer.baseAddress!, at: 0)
            }
        }
    }
}
