public import VolstatCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Converts a GB18030 (or GBK, GB2312) byte stream to UTF-8 as it is read, with iconv.
///
/// A byte sequence that is invalid in GB18030 becomes U+FFFD, which the CSV reader then reports
/// as `encoding.invalid` on that record; `invalidSequences` counts them.
public final class TranscodingSource: ByteSource {
    private let source: any ByteSource
    private let name: String
    private let converter: iconv_t
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
        while stagingEnd == 0 {
            if inputEnd - inputStart < 4 && !inputFinished { try refillInput() }
            if inputStart == inputEnd { return }
            var inPointer: UnsafeMutablePointer<CChar>? = (input.baseAddress! + inputStart).assumingMemoryBound(
                to: CChar.self)
            var inLeft = inputEnd - inputStart
            var outPointer: UnsafeMutablePointer<CChar>? = staging.baseAddress!.assumingMemoryBound(to: CChar.self)
            var outLeft = staging.count
            let result = iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft)
            let failure = result == -1 ? errno : 0
            inputStart = inputEnd - inLeft
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
