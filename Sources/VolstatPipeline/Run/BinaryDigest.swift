import Foundation
import VolstatCore
import VolstatPublish

#if canImport(Glibc)
    import Glibc
#endif

/// The SHA-256 of the running volstat binary, which goes into every run's inputs digest (a new
/// binary is a changed run). Hashing the binary takes about 20 ms of a core at every start, so
/// the digest is kept in `OUT/.volstat/binary-sha256` beside the file's identity (device, inode,
/// size, modification and change times) and reused while that identity is unchanged. Writing to
/// the file or putting another in its place changes its change time, which no user can set back.
enum BinaryDigest {
    /// The binary's digest, from the cache in `folder` when it matches, else computed (and the
    /// cache rewritten, if the folder can be written). `VolstatVersion.current` if the binary
    /// cannot be read.
    static func sha256(cacheIn folder: URL, binary: String = "/proc/self/exe") -> String {
        guard let identity = identity(of: binary) else { return compute(binary) }
        let cache = folder.appendingPathComponent("binary-sha256")
        if let text = try? String(contentsOf: cache, encoding: .utf8) {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.count >= 2, lines[0] == identity, lines[1].count == 64,
                lines[1].allSatisfy({ $0.isHexDigit && !$0.isUppercase })
            {
                return String(lines[1])
            }
        }
        let digest = compute(binary)
        guard digest != VolstatVersion.current, identity == Self.identity(of: binary) else { return digest }
        // Best effort: a folder that cannot be written only means hashing again next time.
        let temporary = folder.appendingPathComponent("binary-sha256.\(getpid()).tmp")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if (try? Data("\(identity)\n\(digest)\n".utf8).write(to: temporary)) != nil {
            if rename(temporary.path, cache.path) != 0 { try? FileManager.default.removeItem(at: temporary) }
        }
        return digest
    }

    /// Device, inode, size and the modification and change times in nanoseconds, as one line.
    static func identity(of path: String) -> String? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return
            "\(status.st_dev) \(status.st_ino) \(status.st_size) \(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec) \(status.st_ctim.tv_sec).\(status.st_ctim.tv_nsec)"
    }

    private static func compute(_ binary: String) -> String {
        (try? Digest.sha256(file: binary).digest) ?? VolstatVersion.current
    }
}
