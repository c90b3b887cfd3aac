import Foundation
import Testing
import VolstatPublish
import VolstatTestSupport

@testable import VolstatPipeline

@Suite("binary digest")
struct BinaryDigestTests {
    @Test("the digest is the file's SHA-256, kept beside its identity and reused until the file changes")
    func cachedUntilChanged() throws {
        let workdir = try Workdir()
        let binary = try workdir.write("volstat", String(repeating: "machine code ", count: 10_000))
        let cacheFolder = workdir.url.appendingPathComponent(".volstat")
        let expected = try Digest.sha256(file: binary).digest

        #expect(BinaryDigest.sha256(cacheIn: cacheFolder, binary: binary, settled: 0) == expected)
        let cache = cacheFolder.appendingPathComponent("binary-sha256")
        let identity = try #require(BinaryDigest.identity(of: binary))
        #expect(try String(contentsOf: cache, encoding: .utf8) == "\(identity)\n\(expected)\n")

        // A cache that matches the file's identity is taken as it is (this one is planted).
        let planted = String(repeating: "ab", count: 32)
        try Data("\(identity)\n\(planted)\n".utf8).write(to: cache)
        #expect(BinaryDigest.sha256(cacheIn: cacheFolder, binary: binary, settled: 0) == planted)

        // Rewritten in place with as many bytes, the file keeps its inode and size; its times
        // change, and the digest is computed again.
        Thread.sleep(forTimeInterval: 0.01)
        let handle = try #require(FileHandle(forWritingAtPath: binary))
        try handle.write(contentsOf: Data("MACHINE".utf8))
        try handle.close()
        let changed = try Digest.sha256(file: binary).digest
        #expect(changed != expected)
        let rewritten = try #require(BinaryDigest.identity(of: binary))
        #expect(rewritten != identity)
        #expect(rewritten.split(separator: " ").prefix(3) == identity.split(separator: " ").prefix(3))
        #expect(BinaryDigest.sha256(cacheIn: cacheFolder, binary: binary, settled: 0) == changed)
        #expect(try String(contentsOf: cache, encoding: .utf8) == "\(rewritten)\n\(changed)\n")
    }

    @Test("a binary written a moment ago is cached when no settling is asked for, on every one of 2,000 tries")
    func justWrittenCachedWithoutSettling() throws {
        // Linux 6.13 and later may stamp a file with a time the coarse clock behind `time()` has
        // not reached yet; measured in whole seconds from `time()`, the change was in the future
        // about once in 250 writes here, and the cache was not written. (On older kernels, or
        // file systems with coarse times, this passes either way.)
        let workdir = try Workdir()
        let cacheFolder = workdir.url.appendingPathComponent(".volstat")
        let cache = cacheFolder.appendingPathComponent("binary-sha256")
        var uncached = 0
        for attempt in 0..<2_000 {
            let binary = try workdir.write("volstat", "machine code \(attempt)")
            try? FileManager.default.removeItem(at: cache)
            _ = BinaryDigest.sha256(cacheIn: cacheFolder, binary: binary, settled: 0)
            if !FileManager.default.fileExists(atPath: cache.path) { uncached += 1 }
        }
        #expect(uncached == 0)
    }

    @Test("a binary changed within the settling time is hashed but not cached")
    func freshBinaryNotCached() throws {
        let workdir = try Workdir()
        let binary = try workdir.write("volstat", "machine code")
        let cacheFolder = workdir.url.appendingPathComponent(".volstat")
        // An hour, so that a stalled test machine cannot let the binary settle.
        #expect(
            BinaryDigest.sha256(cacheIn: cacheFolder, binary: binary, settled: 3600)
                == (try Digest.sha256(file: binary).digest))
        #expect(!FileManager.default.fileExists(atPath: cacheFolder.appendingPathComponent("binary-sha256").path))
    }

    @Test(
        "a damaged cache is replaced; leftovers are removed; a folder that cannot be written only means hashing again")
    func damagedOrUnwritableCache() throws {
        let workdir = try Workdir()
        let binary = try workdir.write("volstat", "machine code")
        let expected = try Digest.sha256(file: binary).digest
        let cacheFolder = workdir.url.appendingPathComponent(".volstat")
        try FileManager.default.createDirectory(at: cacheFolder, withIntermediateDirectories: true)
        let identity = try #require(BinaryDigest.identity(of: binary))
        let cache = cacheFolder.appendingPathComponent("binary-sha256")
        let leftover = cacheFolder.appendingPathComponent("binary-sha256.12345.tmp")
        try Data("left by a process that ended".utf8).write(to: leftover)
        // Fullwidth digits are hex digits to `Character`, not to the cache.
        for damaged in ["not a digest", String(repeating: "ａ", count: 64)] {
            try Data("\(identity)\n\(damaged)\n".utf8).write(to: cache)
            #expect(BinaryDigest.sha256(cacheIn: cacheFolder, binary: binary, settled: 0) == expected)
            #expect(try String(contentsOf: cache, encoding: .utf8) == "\(identity)\n\(expected)\n")
        }
        #expect(!FileManager.default.fileExists(atPath: leftover.path))

        // A regular file where the folder should be: nothing can be cached, the digest is right.
        let blocked = workdir.url.appendingPathComponent("blocked")
        try Data().write(to: blocked)
        #expect(BinaryDigest.sha256(cacheIn: blocked, binary: binary, settled: 0) == expected)
        #expect(
            BinaryDigest.sha256(cacheIn: cacheFolder, binary: workdir.url.appendingPathComponent("missing").path)
                == VolstatVersion.current)
    }
}
