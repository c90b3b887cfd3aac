import VolstatCore

/// Small byte-level helpers the rules share.
enum FieldText {
    /// The value as text for messages and reject files, with anything that looks like an identity
    /// number masked.
    static func display(_ bytes: UnsafeRawBufferPointer) -> String {
        PrivacyFilter.mask(String(decoding: bytes, as: UTF8.self))
    }

    static func equals(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        guard bytes.count == text.utf8CodeUnitCount else { return false }
        let other = UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        return bytes.elementsEqual(other)
    }

    /// A code of one or two ASCII digits as a number (`"01"` -> 1), nil otherwise.
    static func twoDigitCode(_ bytes: UnsafeRawBufferPointer) -> UInt8? {
        guard (1...2).contains(bytes.count) else { return nil }
        var value: UInt8 = 0
        for byte in bytes {
            guard byte &- 0x30 < 10 else { return nil }
            value = value * 10 + (byte &- 0x30)
        }
        return value
    }

    /// `verified`: 1/0, true/false, yes/no, y/n, t/f, 是/否 (ASCII letters in any case).
    static func verified(_ bytes: UnsafeRawBufferPointer) -> Bool? {
        if bytes.count == 1 {
            let byte = bytes[0]
            switch byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte {
            case UInt8(ascii: "1"), UInt8(ascii: "y"), UInt8(ascii: "t"): return true
            case UInt8(ascii: "0"), UInt8(ascii: "n"), UInt8(ascii: "f"): return false
            default: return nil
            }
        }
        guard bytes.count <= 5 else { return nil }
        var lowered: (UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &lowered) { word in
            for (index, byte) in bytes.enumerated() {
                word[index] = (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
            }
        }
        return withUnsafeBytes(of: &lowered) { word -> Bool? in
            let text = UnsafeRawBufferPointer(rebasing: word.prefix(bytes.count))
            if equals(text, "true") || equals(text, "yes") || equals(text, "是") { return true }
            if equals(text, "false") || equals(text, "no") || equals(text, "否") { return false }
            return nil
        }
    }
}

/// Masks identity numbers wherever they might appear in text that leaves the process.
public enum PrivacyFilter {
    /// Masks every run of 15 to 18 characters that looks like an identity number (digits, with an
    /// optional final X): `3601**********123X`.
    public static func mask(_ text: String) -> String {
        let characters = Array(text)
        var result = ""
        var index = 0
        while index < characters.count {
            var end = index
            while end < characters.count, characters[end].isASCII, characters[end].isNumber { end += 1 }
            if end < characters.count, end > index, characters[end] == "X" || characters[end] == "x" { end += 1 }
            let length = end - index
            if length >= 15 && length <= 18 {
                result += ResidentIdentityNumber.masked(String(characters[index..<end]))
                index = end
            } else if length > 0 {
                result += String(characters[index..<end])
                index = end
            } else {
                result.append(characters[index])
                index += 1
            }
        }
        return result
    }
}
