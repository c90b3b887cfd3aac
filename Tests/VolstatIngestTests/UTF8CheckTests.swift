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
}
