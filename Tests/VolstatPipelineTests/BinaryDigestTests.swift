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

    @Test("a binary changed within the last 2 seconds is hashed but not cached")
    func freshBinaryNotCached() throws {
        let workdir = try Workdir()
        let binary = try workdir.write("volstat", "machine code")
        let cacheFolder = workdir.url.appendingPathComponent(".volstat")
        #expect(BinaryDigest.sha256(cacheIn: cacheFolder, binary: binary) == (try Digest.sha256(file: binary).digest))
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
