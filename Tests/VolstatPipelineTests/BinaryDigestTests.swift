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

        #expect(BinaryDigest.sha256(cacheIn: cacheFolder, binary: binary) == expected)
        let cache = cacheFolder.appendingPathComponent("binary-sha256")
        let identity = try #require(BinaryDigest.identity(of: binary))
        #expect(try String(contentsOf: cache, encoding: .utf8) == "\(identity)\n\(expected)\n")

        // A cache that matches the file's identity is taken as it is (this one is planted).
        let planted = String(repeating: "ab", count: 32)
        try Data("\(identity)\n\(planted)\n".utf8).write(to: cache)
        #expect(BinaryDigest.sha256(cacheIn: cacheFolder, binary: binary) == planted)

        // Rewriting the file changes its identity: the digest is computed again.
        Thread.sleep(forTimeInterval: 0.01)
        try Data("other machine code".utf8).write(to: URL(fileURLWithPath: binary))
        let changed = try Digest.sha256(file: binary).digest
        #expect(changed != expected)
        #expect(BinaryDigest.identity(of: binary) != identity)
        #expect(BinaryDigest.sha256(cacheIn: cacheFolder, binary: binary) == changed)
    }

    @Test("a damaged cache or one that cannot be written only means hashing again")
    func damagedOrUnwritableCache() throws {
        let workdir = try Workdir()
        let binary = try workdir.write("volstat", "machine code")
        let expected = try Digest.sha256(file: binary).digest
        let cacheFolder = workdir.url.appendingPathComponent(".volstat")
        try FileManager.default.createDirectory(at: cacheFolder, withIntermediateDirectories: true)
        let identity = try #require(BinaryDigest.identity(of: binary))
        try Data("\(identity)\nnot a digest\n".utf8).write(to: cacheFolder.appendingPathComponent("binary-sha256"))
        #expect(BinaryDigest.sha256(cacheIn: cacheFolder, binary: binary) == expected)

        // A regular file where the folder should be: nothing can be cached, the digest is right.
        let blocked = workdir.url.appendingPathComponent("blocked")
        try Data().write(to: blocked)
        #expect(BinaryDigest.sha256(cacheIn: blocked, binary: binary) == expected)
        #expect(
            BinaryDigest.sha256(cacheIn: cacheFolder, binary: workdir.url.appendingPathComponent("missing").path)
                == VolstatVersion.current)
    }
}
