import Testing
import VolstatCompression
import VolstatCore

@Suite("gzip")
struct GzipTests {
    let text = Array(String(repeating: "region_code,registered\n360102,42\n", count: 20_000).utf8)

    @Test("round trip")
    func roundTrip() throws {
        let compressed = try GzipWriter.compress(text)
        #expect(compressed.count < text.count / 10)
        #expect(try Gunzip.decompress(compressed) == text)
    }

    @Test("deterministic: no time stamp, no file name in the header")
    func deterministic() throws {
        let first = try GzipWriter.compress(text)
        let second = try GzipWriter.compress(text)
        #expect(first == second)
        #expect(Array(first[4..<8]) == [0, 0, 0, 0])
        #expect(first[3] == 0)
    }

    @Test("concatenated members read as one stream")
    func members() throws {
        let joined = try GzipWriter.compress(Array("a\n".utf8)) + (try GzipWriter.compress(Array("b\n".utf8)))
        #expect(try Gunzip.decompress(joined) == Array("a\nb\n".utf8))
    }

    @Test("corrupt and truncated streams are input errors")
    func corrupt() throws {
        let compressed = try GzipWriter.compress(text)
        #expect(throws: InputError.self) { _ = try Gunzip.decompress(Array(compressed.prefix(100))) }
        var damaged = compressed
        damaged[20] ^= 0xFF
        damaged[21] ^= 0xFF
        #expect(throws: InputError.self) { _ = try Gunzip.decompress(damaged) }
    }
}
