import Foundation
import VolstatCore
import VolstatPublish

#if canImport(Glibc)
    import Glibc
#endif

/// The SHA-256 of the running volstat binary, which goes into every run's inputs digest (a new
/// binary is a changed run). Hashing the binary takes 20 to 70 ms of a core at every start (34 to
/// 106 MB), so the digest is kept in `OUT/.volstat/binary-sha256` beside the file's identity
/// (device, inode, size, modification and change times) and reused while that identity is
/// unchanged. Writing to the file or putting another in its place changes its change time, which
/// no user can set back; a binary changed less than 2 s before is not cached (a change within the
/// file system's clock tick could leave the times as they were). The cache is trusted as it is:
/// whoever can write `OUT/.volstat` can write the run ledger too. Deleting it costs one hashing.
enum BinaryDigest {
    /// The binary's digest, from the cache in `folder` when it matches, else computed (and the
    /// cache rewritten, if the folder can be written). `VolstatVersion.current` if the binary
    /// cannot be read.
    /// - Parameter settled: how long ago the binary must have last changed for its digest to be
    ///   cached (tests shorten it).
    static func sha256(cacheIn folder: URL, binary: String = "/proc/self/exe", settled: Int = 2) -> String {
        guard let identity = identity(of: binary) else {
            return (try? Digest.sha256(file: binary).digest) ?? VolstatVersion.current
        }
        let cache = folder.appendingPathComponent("binary-sha256")
        if let text = try? String(contentsOf: cache, encoding: .utf8) {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.count >= 2, lines[0] == identity, lines[1].utf8.count == 64,
                lines[1].utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
            {
                return String(lines[1])
            }
        }
        guard let digest = try? Digest.sha256(file: binary).digest else { return VolstatVersion.current }
        // Cached only when the binary did not change while it was hashed, nor just before.
        guard let after = status(of: binary), line(after) == identity, changed(after, atLeast: settled)
        else {
            return digest
        }
        // Best effort: a folder that cannot be written only means hashing again next time. A
        // temporary file left by a process that ended before its rename is removed here.
        try? DurableFiles.makeFolder(folder)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        where name.hasPrefix("binary-sha256.") && name.hasSuffix(".tmp") {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
        let temporary = folder.appendingPathComponent("binary-sha256.\(getpid()).tmp")
        if (try? Data("\(identity)\n\(digest)\n".utf8).write(to: temporary)) != nil {
            if rename(temporary.path, cache.path) != 0 { try? FileManager.default.removeItem(at: temporary) }
        }
        return digest
    }

    /// Device, inode, size and the modification and change times in nanoseconds, as one line.
    static func identity(of path: String) -> String? { status(of: path).map(line) }

    /// Whether the file last changed at least `seconds` ago. Read from the precise real-time
    /// clock: the kernel (Linux 6.13 and later) may stamp a file with a finer time than the coarse
    /// clock behind `time()` has reached yet, so whole seconds from `time()` could put the change
    /// in the future. Compared in seconds, then nanoseconds, so that no clock value can overflow.
    private static func changed(_ status: stat, atLeast seconds: Int) -> Bool {
        var now = timespec()
        guard clock_gettime(CLOCK_REALTIME, &now) == 0 else { return false }
        let (elapsed, overflow) = now.tv_sec.subtractingReportingOverflow(status.st_ctim.tv_sec)
        if overflow { return now.tv_sec > status.st_ctim.tv_sec }
        if elapsed != seconds { return elapsed > seconds }
        return now.tv_nsec >= status.st_ctim.tv_nsec
    }

    private static func status(of path: String) -> stat? {
        var status = stat()
        return stat(path, &status) == 0 ? status : nil
    }

    private static func line(_ status: stat) -> String {
        "\(status.st_dev) \(status.st_ino) \(status.st_size) \(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec) \(status.st_ctim.tv_sec).\(status.st_ctim.tv_nsec)"
    }
}
