internal import Crypto
import VolstatCore

/// The SHA-256 of an input file, computed from the bytes the reader reads anyway (`InputFile`
/// puts a `HashingByteSource` right over the file), so that hashing needs no pass of its own.
///
/// `sha256` is known only when the reader got to the end of the file; a reader that stopped
/// early (a file unreadable from some point on) leaves it nil, and the caller hashes the file
/// itself. Written by the reading thread, read after it has finished.
public final class InputDigest: @unchecked Sendable {
    private var hasher = SHA256()
    private var finished: String?

    public init() {}

    /// The hex digest of the whole file, once it has been read to its end.
    public var sha256: String? { finished }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard finished == nil else { return }
        hasher.update(bufferPointer: bytes)
    }

    func end() {
        guard finished == nil else { return }
        finished = HexText.string(hasher.finalize())
    }
}

/// A file's bytes passed on unchanged while `InputDigest` hashes them.
final class HashingByteSource: ByteSource {
    private let source: any ByteSource
    private let digest: InputDigest
    var bytesConsumed: Int { source.bytesConsumed }

    init(_ source: any ByteSource, digest: InputDigest) {
        self.source = source
        self.digest = digest
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try source.read(into: buffer)
        if count > 0 {
            digest.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        } else if buffer.count > 0 {
            digest.end()
        }
        return count
    }
}
