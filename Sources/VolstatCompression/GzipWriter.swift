internal import CZlib
import VolstatCore

/// Compresses bytes into a gzip stream deterministically: the header carries no file name and
/// no modification time, so the same bytes in always give the same bytes out.
///
/// A class, not a struct: zlib keeps a pointer back to its `z_stream`, which must not move.
public final class GzipWriter {
    private var stream = z_stream()
    private var output: [UInt8] = []
    private var chunk: [UInt8]
    private var finished = false

    /// - Parameter level: zlib's compression level, 1 (fast) to 9 (small); 6 by default.
    public init(level: Int32 = 6) throws {
        chunk = [UInt8](repeating: 0, count: 1 << 16)
        let status = volstat_deflateInit2(&stream, level, 15 + 16, 8)
        guard status == Z_OK else { throw OutputError("cannot start gzip compression (zlib status \(status))") }
    }

    deinit { deflateEnd(&stream) }

    /// Compresses `bytes`, appending what zlib produces to the output.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(bytes.count)
        run(flush: Z_NO_FLUSH)
    }

    public func write(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    /// Ends the stream and returns the complete gzip file.
    public func finish() -> [UInt8] {
        guard !finished else { return output }
        finished = true
        stream.next_in = nil
        stream.avail_in = 0
        run(flush: Z_FINISH)
        return output
    }

    private func run(flush: Int32) {
        let size = chunk.count
        while true {
            let (status, produced, inputLeft) = chunk.withUnsafeMutableBytes { out -> (Int32, Int, uInt) in
                stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(size)
                let status = deflate(&stream, flush)
                return (status, size - Int(stream.avail_out), stream.avail_in)
            }
            output.append(contentsOf: chunk[0..<produced])
            if flush == Z_FINISH {
                if status == Z_STREAM_END { return }
            } else if inputLeft == 0 && produced < size {
                return
            }
        }
    }

    /// Compresses a whole buffer in one call.
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        let writer = try GzipWriter(level: level)
        bytes.withUnsafeBytes { writer.write($0) }
        return writer.finish()
    }
}

/// Decompresses a whole gzip buffer in memory (tests and small files).
public enum Gunzip {
    public static func decompress(_ bytes: [UInt8], name: String = "<memory>") throws -> [UInt8] {
        let reader = try GzipReader(source: MemoryByteSource(bytes), name: name)
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
            if count == 0 { break }
            result.append(contentsOf: buffer[0..<count])
        }
        return result
    }
}
