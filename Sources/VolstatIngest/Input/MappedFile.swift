import CSystemShims
import Foundation
import VolstatCore

/// A plain file mapped into memory (copy-on-write), which the CSV reader tokenizes where it lies
/// instead of having `read` copy it out of the page cache piece by piece: that copy was 6 % of a
/// run's CPU at 1 million volunteers and 21 % of the reading thread's at 10 million.
///
/// The reader takes the bytes in order (`lend`), which maps their pages in and hashes them into
/// the input's digest. Rows point into the mapping through `ByteChunk` windows of `windowSize`
/// bytes; once every window up to one has been let go (`release(window:)`), their pages are
/// dropped from the process (they stay in the page cache), so that the process holds only the
/// windows in flight, as it held only the chunks in flight. Writes (a quoted field's doubled
/// quotes collapsed in place) copy their page and never reach the file.
///
/// Only for files that are read front to back without anything else writing into them: the
/// CSV reader of a dataset without identity numbers (whose bytes the reader blanks in place).
final class MappedFile: @unchecked Sendable {
    let path: String
    let bytes: UnsafeMutableRawBufferPointer
    /// How many bytes from the start have been lent.
    private(set) var lent = 0
    private let digest: InputDigest?

    /// The bytes a `ByteChunk` window covers: a power of two, a multiple of the page size.
    static let windowSize = 4 << 20
    static let windowShift = 22

    private let lock = NSLock()
    /// The windows let go that lie after one still in use.
    private var released: Set<Int> = []
    /// The first window whose pages are kept: every one before it has been let go and dropped.
    private var firstKept = 0

    /// The system's page size, which a range to page in must start at a multiple of.
    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Whether this kernel maps a file's pages in on request (`MADV_POPULATE_READ`, Linux 5.14 and
    /// later); without it they map in as they are touched, and a file that shrank meanwhile is a
    /// bus error (see `volstat_mapped_input_add`) instead of an input error.
    static let populatesOnRequest: Bool = {
        guard let page = mmap(nil, pageSize, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), page != MAP_FAILED else {
            return false
        }
        defer { munmap(page, pageSize) }
        return volstat_populate_readable(page, pageSize) == 0
    }()

    /// Maps `path` when it is a regular file of at least one byte that can be mapped; nil otherwise
    /// (the caller then reads it with `read`).
    init?(path: String, digest: InputDigest?) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size > 0,
            let memory = mmap(nil, Int(info.st_size), PROT_READ | PROT_WRITE, MAP_PRIVATE, descriptor, 0),
            memory != MAP_FAILED
        else { return nil }
        let message =
            "volstat: error: \(path): the file shrank while it was being read (another program wrote to it), so "
            + "the run stopped; nothing was published. Run again once the export is complete.\n"
        guard volstat_mapped_input_add(memory, Int(info.st_size), message) == 0 else {
            munmap(memory, Int(info.st_size))
            return nil
        }
        _ = madvise(memory, Int(info.st_size), MADV_SEQUENTIAL)
        self.path = path
        self.digest = digest
        bytes = UnsafeMutableRawBufferPointer(start: memory, count: Int(info.st_size))
    }

    deinit {
        volstat_mapped_input_remove(bytes.baseAddress!)
        munmap(bytes.baseAddress!, bytes.count)
    }

    /// Lends the next at most `count` bytes (they follow those lent before) and returns how many:
    /// 0 at the end of the file, where the digest is finished.
    func lend(_ count: Int) throws -> Int {
        let length = min(count, bytes.count - lent)
        guard length > 0 else {
            digest?.end()
            return 0
        }
        // From the page the piece starts in: mapped in one call rather than one fault per 16 pages,
        // and a file that no longer has them is an error here rather than a bus error later.
        let page = lent & ~(Self.pageSize - 1)
        if Self.populatesOnRequest, volstat_populate_readable(bytes.baseAddress! + page, lent + length - page) != 0 {
            let reason = String(cString: strerror(errno))
            throw InputError(
                "\(path): cannot be read on from byte \(lent) (\(reason)): the file shrank, or another program "
                    + "rewrote it, while it was being read")
        }
        let piece = UnsafeRawBufferPointer(start: bytes.baseAddress! + lent, count: length)
        digest?.update(piece)
        lent += length
        return length
    }

    /// Window `index` is no longer used by the reader or any batch: drops the pages of every
    /// window up to the first one still in use.
    func release(window index: Int) {
        lock.lock()
        defer { lock.unlock() }
        released.insert(index)
        while released.remove(firstKept) != nil {
            let start = firstKept << Self.windowShift
            let length = min(Self.windowSize, bytes.count - start)
            if length > 0 { _ = madvise(bytes.baseAddress! + start, length, MADV_DONTNEED) }
            firstKept += 1
        }
    }
}
