internal import CZlib
public import VolstatCore

/// Decompresses a gzip stream (RFC 1952) as it is read, including files made of several
/// concatenated gzip members, in constant memory.
///
/// A truncated or corrupt stream is an `InputError` naming the file and the byte offset.
public final class GzipReader: ByteSource {
    private let source: any ByteSource
    private let name: String
    private var stream = z_stream()
    private var input: UnsafeMutableRawBufferPointer
    private var inputEnd = false
    private var finished = false
    private var memberEnded = false

    public var bytesConsumed: Int { source.bytesConsumed }

    public init(source: any ByteSource, name: String, chunkSize: Int = 1 << 18) throws {
        self.source = source
        self.name = name
        input = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        let status = volstat_inflateInit2(&stream, 15 + 16)
        guard status == Z_OK else {
            input.deallocate()
            throw InputError("\(name): cannot start gzip decompression (zlib status \(status))")
        }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished, let out = buffer.baseAddress, buffer.count > 0 else { return 0 }
        stream.next_out = out.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(min(buffer.count, Int(UInt32.max)))
        while stream.avail_out > 0 {
            if stream.avail_in == 0 && !inputEnd {
                let count = try source.read(into: input)
                if count == 0 {
                    inputEnd = true
                } else {
                    stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_in = uInt(count)
                }
            }
            if stream.avail_in == 0 && inputEnd {
                if memberEnded {
                    finished = true
                    break
                }
                throw InputError(
                    "\(name): the gzip stream is truncated (ended after \(source.bytesConsumed) compressed bytes)")
            }
            if memberEnded {
                // Another gzip member follows the previous one: start over on it.
                inflateReset(&stream)
                memberEnded = false
            }
            let status = inflate(&stream, Z_NO_FLUSH)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                memberEnded = true
            default:
                let detail = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                let offset = source.bytesConsumed - Int(stream.avail_in)
                throw InputError("\(name): not a valid gzip stream near compressed byte \(offset): \(detail)")
            }
        }
        return buffer.count - Int(stream.avail_out)
    }
}
