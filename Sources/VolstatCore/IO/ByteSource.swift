#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A stream of bytes read in chunks: a file, a decompressor, a transcoder.
///
/// `read(into:)` fills up to `buffer.count` bytes and returns how many it wrote; 0 means the end.
public protocol ByteSource: AnyObject {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// The number of bytes consumed from the underlying file so far (for progress reports).
    var bytesConsumed: Int { get }
}

/// An input could not be opened or read.
public struct InputError: VolstatFailure {
    public var kind: FailureKind { .input }
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// An output could not be written.
public struct OutputError: VolstatFailure {
    public var kind: FailureKind { .output }
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// Reads a file with POSIX `read`, without buffering of its own: callers read large chunks.
public final class FileByteSource: ByteSource {
    public let path: String
    private let descriptor: Int32
    public private(set) var bytesConsumed = 0

    public init(path: String) throws {
        self.path = path
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw InputError("\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) != S_IFDIR else { throw InputError("\(path): is a folder, not a file") }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw InputError("\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        self.descriptor = descriptor
        // Read front to back: the kernel may read further ahead.
        _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL)
    }

    deinit { close(descriptor) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let count = Glibc.read(descriptor, base, buffer.count)
            if count >= 0 {
                bytesConsumed += count
                return count
            }
            if errno == EINTR { continue }
            throw InputError("\(path): read failed: \(String(cString: strerror(errno)))")
        }
    }
}

/// Serves bytes from memory (tests, small inputs).
public final class MemoryByteSource: ByteSource {
    private let bytes: [UInt8]
    private var position = 0
    public var bytesConsumed: Int { position }

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, bytes.count - position)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + position, byteCount: count)
        }
        position += count
        return count
    }
}
