public import VolstatCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Converts a GB18030 (or GBK, GB2312) byte stream to UTF-8 as it is read.
///
/// ASCII is copied and two-byte characters are looked up in a table of all 23,940 of them (made
/// once per process with iconv); only four-byte characters and invalid bytes go through iconv
/// one character at a time. Through iconv alone, transcoding took 30 % of the volunteers'
/// reading thread. A byte sequence that is invalid in GB18030 becomes U+FFFD, which the CSV
/// reader then reports as `encoding.invalid` on that record; `invalidSequences` counts them.
public final class TranscodingSource: ByteSource {
    private let source: any ByteSource
    private let name: String
    private let converter: iconv_t
    /// The table of two-byte characters, for GB18030 itself (nil for another encoding).
    private let twoByte: GB18030TwoByteTable?
    private var input: UnsafeMutableRawBufferPointer
    private var inputStart = 0
    private var inputEnd = 0
    private var inputFinished = false
    private var staging: UnsafeMutableRawBufferPointer
    private var stagingStart = 0
    private var stagingEnd = 0
    public private(set) var invalidSequences = 0
    public var bytesConsumed: Int { source.bytesConsumed }

    public init(source: any ByteSource, name: String, from encoding: String = "GB18030") throws {
        self.source = source
        self.name = name
        let converter = iconv_open("UTF-8", encoding)
        guard converter != iconv_t(bitPattern: -1) else {
            throw InputError("\(name): this system cannot convert from \(encoding) (iconv_open failed)")
        }
        self.converter = converter!
        twoByte = encoding == "GB18030" ? GB18030TwoByteTable.shared : nil
        input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        staging = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 19, alignment: 16)
    }

    deinit {
        iconv_close(converter)
        input.deallocate()
        staging.deallocate()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if stagingStart == stagingEnd { try convertMore() }
        let count = min(buffer.count, stagingEnd - stagingStart)
        if count > 0 {
            buffer.baseAddress!.copyMemory(from: staging.baseAddress! + stagingStart, byteCount: count)
            stagingStart += count
        }
        return count
    }

    /// Fills the staging buffer with converted bytes; leaves it empty only at the end of input.
    private func convertMore() throws {
        stagingStart = 0
        stagingEnd = 0
        // Half the staging buffer at least, less only at the end of the input: a four-byte
        // character or an invalid byte does not end a read.
        while stagingEnd < staging.count / 2 {
            if inputEnd - inputStart < 4 && !inputFinished { try refillInput() }
            if inputStart == inputEnd { return }
            if let twoByte {
                convertCommon(twoByte)
                // The table may have taken all the input read: read on before iconv's one character.
                if inputStart == inputEnd || stagingEnd >= staging.count / 2 { continue }
            }
            // iconv: everything for another encoding; for GB18030, the one character the table
            // does not have (a four-byte one, or invalid bytes).
            let length =
                twoByte == nil
                ? inputEnd - inputStart
                : GB18030TwoByteTable.characterLength(
                    input.baseAddress!.assumingMemoryBound(to: UInt8.self) + inputStart,
                    available: inputEnd - inputStart)
            var inPointer: UnsafeMutablePointer<CChar>? = (input.baseAddress! + inputStart).assumingMemoryBound(
                to: CChar.self)
            var inLeft = length
            var outPointer: UnsafeMutablePointer<CChar>? = (staging.baseAddress! + stagingEnd).assumingMemoryBound(
                to: CChar.self)
            var outLeft = staging.count - stagingEnd
            let result = iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft)
            let failure = result == -1 ? errno : 0
            inputStart += length - inLeft
            stagingEnd = staging.count - outLeft
            switch failure {
            case 0, E2BIG:
                continue
            case EILSEQ:
                replaceInvalid(skipping: 1)
            case EINVAL:
                // An incomplete sequence at the end of what was read: read on, or at the very end
                // of the input, replace it.
                if inputFinished { replaceInvalid(skipping: inputEnd - inputStart) }
            default:
                throw InputError("\(name): conversion from GB18030 failed (errno \(failure))")
            }
        }
    }

    /// Converts ASCII and the two-byte characters the table has, from `inputStart` on, until
    /// another byte, the end of the input read so far or a nearly full staging buffer.
    private func convertCommon(_ table: GB18030TwoByteTable) {
        let bytes = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let out = staging.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let outLimit = staging.count - 3
        var index = inputStart
        var written = stagingEnd
        while index < inputEnd && written <= outLimit {
            // Eight ASCII bytes at a time where they are.
            while index + 8 <= inputEnd, written + 8 <= staging.count,
                case let word = UnsafeRawPointer(bytes + index).loadUnaligned(as: UInt64.self),
                word & 0x8080_8080_8080_8080 == 0
            {
                UnsafeMutableRawPointer(out + written).storeBytes(of: word, as: UInt64.self)
                index += 8
                written += 8
            }
            guard index < inputEnd && written <= outLimit else { break }
            let lead = bytes[index]
            if lead < 0x80 {
                out[written] = lead
                written += 1
                index += 1
                continue
            }
            guard index + 1 < inputEnd, case let scalar = table.scalar(lead: lead, trail: bytes[index + 1]), scalar != 0
            else { break }
            if scalar < 0x800 {
                out[written] = UInt8(0xC0 | (scalar >> 6))
                out[written + 1] = UInt8(0x80 | (scalar & 0x3F))
                written += 2
            } else {
                out[written] = UInt8(0xE0 | (scalar >> 12))
                out[written + 1] = UInt8(0x80 | ((scalar >> 6) & 0x3F))
                out[written + 2] = UInt8(0x80 | (scalar & 0x3F))
                written += 3
            }
            index += 2
        }
        inputStart = index
        stagingEnd = written
    }

    private func replaceInvalid(skipping count: Int) {
        invalidSequences += 1
        inputStart += count
        if staging.count - stagingEnd >= 3 {
            staging[stagingEnd] = 0xEF
            staging[stagingEnd + 1] = 0xBF
            staging[stagingEnd + 2] = 0xBD
            stagingEnd += 3
        }
    }

    private func refillInput() throws {
        let unread = inputEnd - inputStart
        if unread > 0 && inputStart > 0 {
            input.baseAddress!.copyMemory(from: input.baseAddress! + inputStart, byteCount: unread)
        }
        inputStart = 0
        inputEnd = unread
        let count = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: input[inputEnd...]))
        if count == 0 { inputFinished = true }
        inputEnd += count
    }
}

/// The Unicode scalars of GB18030's two-byte characters (lead 0x81-0xFE, trail 0x40-0x7E or
/// 0x80-0xFE), as iconv converts them; 0 for a pair iconv rejects or converts to more than one
/// scalar or beyond the Basic Multilingual Plane, which then goes through iconv itself. Not
/// changed after it is made.
final class GB18030TwoByteTable: @unchecked Sendable {
    private let scalars: UnsafeMutablePointer<UInt16>

    /// Made on first use, once per process (about 24,000 conversions).
    static let shared: GB18030TwoByteTable? = GB18030TwoByteTable()

    private init?() {
        guard let converter = iconv_open("UTF-8", "GB18030"), converter != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(converter) }
        scalars = .allocate(capacity: 126 * 191)
        scalars.initialize(repeating: 0, count: 126 * 191)
        var pair: (UInt8, UInt8) = (0, 0)
        var output: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0)
        for lead in UInt8(0x81)...0xFE {
            for trail in UInt8(0x40)...0xFE where trail != 0x7F {
                pair = (lead, trail)
                let produced = withUnsafeMutableBytes(of: &pair) { input -> [UInt8] in
                    withUnsafeMutableBytes(of: &output) { out -> [UInt8] in
                        var inPointer: UnsafeMutablePointer<CChar>? = input.baseAddress!.assumingMemoryBound(
                            to: CChar.self)
                        var inLeft = 2
                        var outPointer: UnsafeMutablePointer<CChar>? = out.baseAddress!.assumingMemoryBound(
                            to: CChar.self)
                        var outLeft = out.count
                        _ = iconv(converter, nil, nil, nil, nil)
                        guard iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft) != -1, inLeft == 0 else {
                            return []
                        }
                        return Array(out[0..<(out.count - outLeft)])
                    }
                }
                scalars[Self.index(lead, trail)] = Self.scalar(ofUTF8: produced)
            }
        }
    }

    /// The scalar of one UTF-8 character of two or three bytes (below U+FFFF), else 0.
    private static func scalar(ofUTF8 bytes: [UInt8]) -> UInt16 {
        switch bytes.count {
        case 2 where bytes[0] & 0xE0 == 0xC0:
            return UInt16(bytes[0] & 0x1F) << 6 | UInt16(bytes[1] & 0x3F)
        case 3 where bytes[0] & 0xF0 == 0xE0:
            let scalar = UInt16(bytes[0] & 0x0F) << 12 | UInt16(bytes[1] & 0x3F) << 6 | UInt16(bytes[2] & 0x3F)
            return scalar == 0xFFFD ? 0 : scalar
        default:
            return 0
        }
    }

    @inline(__always)
    private static func index(_ lead: UInt8, _ trail: UInt8) -> Int { Int(lead &- 0x81) * 191 + Int(trail &- 0x40) }

    /// The scalar of the two-byte character `lead` `trail`, or 0 when the table does not have it.
    @inline(__always)
    func scalar(lead: UInt8, trail: UInt8) -> UInt32 {
        guard lead >= 0x81, lead <= 0xFE, trail >= 0x40, trail <= 0xFE, trail != 0x7F else { return 0 }
        return UInt32(scalars[Self.index(lead, trail)])
    }

    /// The bytes of the character at `bytes` for iconv to convert alone: four for a four-byte
    /// sequence (second byte a digit), two for another lead byte, one otherwise; at most
    /// `available`.
    static func characterLength(_ bytes: UnsafePointer<UInt8>, available: Int) -> Int {
        guard available > 0 else { return 0 }
        let lead = bytes[0]
        guard lead >= 0x81, lead <= 0xFE, available >= 2 else { return min(1, available) }
        return bytes[1] >= 0x30 && bytes[1] <= 0x39 ? min(4, available) : 2
    }
}

/// Serves a few bytes already read (to sniff the format or the encoding), then the rest of the source.
final class PrefixedSource: ByteSource {
    private var prefix: [UInt8]
    private var position = 0
    private let source: any ByteSource
    var bytesConsumed: Int { source.bytesConsumed }

    init(prefix: [UInt8], source: any ByteSource) {
        self.prefix = prefix
        self.source = source
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if position < prefix.count {
            let count = min(buffer.count, prefix.count - position)
            prefix.withUnsafeBytes { bytes in
                buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + position, byteCount: count)
            }
            position += count
            return count
        }
        return try source.read(into: buffer)
    }

    /// Reads up to `count` bytes from `source` (fewer only at its end).
    static func readPrefix(of source: any ByteSource, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let read = try bytes.withUnsafeMutableBytes { buffer in
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            }
            if read == 0 { break }
            filled += read
        }
        bytes.removeSubrange(filled...)
        return bytes
    }
}
