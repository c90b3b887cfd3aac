import Testing
import VolstatCore
import VolstatIngest

#if canImport(Glibc)
    import Glibc
#endif

@Suite("GB18030 transcoding")
struct TranscodingTests {
    /// GB18030 to UTF-8 with iconv alone, over the whole input: invalid bytes become U+FFFD one
    /// byte at a time, an incomplete sequence at the end one U+FFFD (as the source defines it).
    static func reference(_ bytes: [UInt8]) -> [UInt8] {
        let converter = iconv_open("UTF-8", "GB18030")!
        defer { iconv_close(converter) }
        var output: [UInt8] = []
        var start = 0
        var buffer = [UInt8](repeating: 0, count: 4 * bytes.count + 16)
        var input = bytes
        while start < input.count {
            let (failure, consumed, produced) = input.withUnsafeMutableBytes { source in
                buffer.withUnsafeMutableBytes { target in
                    var inPointer: UnsafeMutablePointer<CChar>? = (source.baseAddress! + start).assumingMemoryBound(
                        to: CChar.self)
                    var inLeft = source.count - start
                    var outPointer: UnsafeMutablePointer<CChar>? = target.baseAddress!.assumingMemoryBound(
                        to: CChar.self)
                    var outLeft = target.count
                    let result = iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft)
                    return (result == -1 ? errno : 0, source.count - start - inLeft, target.count - outLeft)
                }
            }
            output += buffer[0..<produced]
            start += consumed
            if failure == EILSEQ {
                output += [0xEF, 0xBF, 0xBD]
                start += 1
            } else if failure == EINVAL {
                output += [0xEF, 0xBF, 0xBD]
                start = input.count
            }
        }
        input.removeAll()
        return output
    }

    /// Everything `TranscodingSource` gives for `bytes`, read `size` bytes at a time.
    static func transcoded(_ bytes: [UInt8], readSize: Int) throws -> [UInt8] {
        let source = try TranscodingSource(source: MemoryByteSource(bytes), name: "t.csv")
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: readSize)
        while true {
            let count = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if count == 0 { break }
            output += buffer[0..<count]
        }
        return output
    }

    /// ASCII, two- and four-byte characters and invalid bytes, mixed at random.
    static func randomGB18030(count: Int, using generator: inout some RandomNumberGenerator) -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count < count {
            switch Int.random(in: 0..<20, using: &generator) {
            case 0..<8: bytes.append(UInt8.random(in: 0x20...0x7E, using: &generator))
            case 8..<15:
                var trail = UInt8.random(in: 0x40...0xFE, using: &generator)
                if trail == 0x7F { trail = 0x80 }
                bytes += [UInt8.random(in: 0x81...0xFE, using: &generator), trail]
            case 15..<17:
                // Leads 0x81-0x84: the rest of the Basic Multilingual Plane; 0x90-0xE3: beyond it.
                let lead =
                    Bool.random(using: &generator)
                    ? UInt8.random(in: 0x81...0x84, using: &generator)
                    : UInt8.random(in: 0x90...0xE3, using: &generator)
                bytes += [
                    lead, UInt8.random(in: 0x30...0x39, using: &generator),
                    UInt8.random(in: 0x81...0xFE, using: &generator), UInt8.random(in: 0x30...0x39, using: &generator),
                ]
            case 17: bytes.append([0x80, 0xFF, 0x0A, 0x2C][Int.random(in: 0..<4, using: &generator)])
            case 18:
                bytes += [
                    UInt8.random(in: 0x81...0xFE, using: &generator), UInt8.random(in: 0x00...0x3F, using: &generator),
                ]
            default: bytes.append(UInt8.random(in: 0x81...0xFE, using: &generator))
            }
        }
        return bytes
    }

    @Test("the table's fast path gives what iconv alone gives, valid or not, read in any sizes")
    func matchesIconv() throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<300 {
            let bytes = Self.randomGB18030(count: Int.random(in: 0...400, using: &generator), using: &generator)
            let readSize = [1, 3, 7, 64, 4096][round % 5]
            #expect(try Self.transcoded(bytes, readSize: readSize) == Self.reference(bytes), "\(bytes)")
        }
        // Past the 256 KiB input buffer, so that characters are cut where it is refilled.
        let large = Self.randomGB18030(count: 700_000, using: &generator)
        #expect(try Self.transcoded(large, readSize: 65_536) == Self.reference(large))
    }

    @Test("every two-byte character converts as iconv converts it")
    func everyTwoByteCharacter() throws {
        var bytes: [UInt8] = []
        for lead in UInt8(0x81)...0xFE {
            for trail in UInt8(0x40)...0xFE where trail != 0x7F { bytes += [lead, trail, 0x2C] }
        }
        #expect(try Self.transcoded(bytes, readSize: 4096) == Self.reference(bytes))
    }
}
