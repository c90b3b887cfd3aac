import CSystemShims
import Testing

@testable import VolstatIngest

@Suite("UTF-8 check against the standard library's decoder")
struct UTF8CheckTests {
    /// The offset of the first ill-formed sequence or U+FFFD, found with the standard library's
    /// UTF-8 parser.
    static func reference(_ bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                if Unicode.UTF8.decode(encoded) == "\u{FFFD}" { return offset }
                offset += encoded.count
            case .error:
                return offset
            case .emptyInput:
                return nil
            }
        }
    }

    @Test("random text of ASCII, CJK, edge-case leads and stray bytes finds the same first problem")
    func randomText() {
        // Pieces that are valid alone, and bytes that may break a sequence; weighted towards
        // three-byte characters, where the fast path is.
        let pieces: [[UInt8]] = [
            Array("a".utf8), Array("12345678".utf8), Array("渝".utf8), Array("见志愿".utf8), Array("é".utf8),
            Array("𠮷".utf8), Array("\u{E000}".utf8), Array("\u{FFFC}".utf8), Array("\u{D7FF}".utf8),
            Array("\u{0800}".utf8), [0xEF, 0xBF, 0xBD], [0xED, 0xA0, 0x80], [0xE0, 0x80, 0x80], [0xE4, 0xB8],
            [0x80], [0xC0, 0xAF], [0xF5, 0x80, 0x80, 0x80], [0xE4], [0xB8, 0xAD],
            // Runs of ASCII that the check skips 32 and 8 bytes at a time.
            Array(String(repeating: "x", count: 40).utf8), Array(String(repeating: "y", count: 13).utf8),
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            var bytes: [UInt8] = []
            let length = Int.random(in: 0...16, using: &generator)
            for _ in 0..<length {
                let pick = Int.random(in: 0..<(pieces.count + 6), using: &generator)
                bytes += pick < pieces.count ? pieces[pick] : pieces[2 + pick % 2]
            }
            let found = bytes.withUnsafeBytes { UTF8Check.firstProblem($0) }
            #expect(found == Self.reference(bytes), "\(bytes.map { String($0, radix: 16) })")
        }
    }

    /// A valid text of ASCII, two-, three- and four-byte characters, about a kilobyte long, so
    /// that it spans many of the 32-byte blocks `volstat_utf8_checked_prefix` checks at once.
    static let longText: [UInt8] = Array(
        (0..<12).map { "V\($0)0000123,江西省南昌市新时代文明实践站\($0),é𠮷,2022-04-11 12:45:00,7.75\n" }.joined().utf8)

    @Test("long random texts find the same first problem, wherever it falls in a 32-byte block")
    func longRandomText() {
        let pieces: [[UInt8]] = [
            Array("abcdefgh".utf8), Array("青年志愿者协会".utf8), Array("é".utf8), Array("𠮷".utf8),
            Array(String(repeating: "x", count: 29).utf8),
        ]
        let breakers: [[UInt8]] = [
            [0xEF, 0xBF, 0xBD], [0xED, 0xA0, 0x80], [0xE0, 0x80, 0x80], [0xF0, 0x80, 0x80, 0x80], [0xC1, 0xBF],
            [0x80], [0xE4, 0xB8], [0xF4, 0x90, 0x80, 0x80], [0xFF], [0xF0, 0x9F, 0x98],
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<1500 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 1...60, using: &generator) {
                bytes += pieces[Int.random(in: 0..<pieces.count, using: &generator)]
            }
            if Bool.random(using: &generator) {
                let at = Int.random(in: 0...bytes.count, using: &generator)
                bytes.insert(contentsOf: breakers[Int.random(in: 0..<breakers.count, using: &generator)], at: at)
            }
            let found = bytes.withUnsafeBytes { UTF8Check.firstProblem($0) }
            #expect(found == Self.reference(bytes), "\(bytes.map { String($0, radix: 16) })")
        }
    }

    @Test("a bad byte at every offset of a long text is found at the character it breaks")
    func everyOffset() {
        let text = Self.longText
        #expect(Self.reference(text) == nil)
        #expect(text.withUnsafeBytes { UTF8Check.firstProblem($0) } == nil)
        for offset in text.indices {
            for bad: UInt8 in [0x80, 0xBF, 0xC0, 0xE4, 0xF0, 0xF5, 0xFF, 0x41] {
                var bytes = text
                bytes[offset] = bad
                let found = bytes.withUnsafeBytes { UTF8Check.firstProblem($0) }
                #expect(found == Self.reference(bytes), "byte \(bad) at \(offset)")
            }
            var withReplacement = text
            withReplacement.insert(contentsOf: [0xEF, 0xBF, 0xBD], at: offset)
            let found = withReplacement.withUnsafeBytes { UTF8Check.firstProblem($0) }
            #expect(found == Self.reference(withReplacement), "U+FFFD at \(offset)")
        }
    }

    @Test("the block check's prefix is clean and ends at a character's start")
    func checkedPrefix() {
        let text = Self.longText
        for cut in [0, 1, 31, 32, 33, 64, 100, text.count / 2, text.count] {
            var bytes = Array(text[..<cut])
            if cut < text.count { bytes.append(0xFF) }
            let prefix = bytes.withUnsafeBufferPointer { volstat_utf8_checked_prefix($0.baseAddress, $0.count) }
            #expect(prefix <= cut)
            #expect(Self.reference(Array(bytes[..<prefix])) == nil)
            #expect(prefix == bytes.count || bytes[prefix] & 0xC0 != 0x80)
        }
    }

    @Test("the block check clears clean text with every boundary character at every offset in a block")
    func blockCheckClearsCleanText() throws {
        try #require(volstat_cpu_has_avx2() != 0, "this processor has no AVX2: the block check is off")
        let edges = [
            "\u{80}", "\u{7FF}", "\u{800}", "\u{D7FF}", "\u{E000}", "\u{FFFC}", "\u{FFFE}", "\u{FFFF}", "\u{10000}",
            "\u{10FFFF}", "\u{FFBD}", "\u{FFBF}",
        ]
        for edge in edges {
            for shift in 0..<32 {
                let text = Array((String(repeating: "a", count: shift) + String(repeating: edge + "b", count: 30)).utf8)
                #expect(Self.reference(text) == nil)
                let prefix = text.withUnsafeBufferPointer { volstat_utf8_checked_prefix($0.baseAddress, $0.count) }
                #expect(prefix >= text.count - 32 - 7, "\(edge.unicodeScalars.first!.value) after \(shift)")
            }
        }
    }

    @Test("a text cut at every length, and a character cut off before ASCII at a block's end")
    func truncated() {
        let text = Self.longText
        for cut in 0...text.count {
            let bytes = Array(text[..<cut])
            #expect(bytes.withUnsafeBytes { UTF8Check.firstProblem($0) } == Self.reference(bytes), "cut at \(cut)")
        }
        for character in ["é", "渝", "𠮷"] {
            let encoded = Array(character.utf8)
            for kept in 1..<encoded.count {
                for before in 28...31 {
                    let bytes =
                        Array(repeating: UInt8(ascii: "a"), count: before) + encoded[..<kept]
                        + Array(repeating: UInt8(ascii: "b"), count: 40)
                    #expect(bytes.withUnsafeBytes { UTF8Check.firstProblem($0) } == before)
                }
            }
        }
    }
}
