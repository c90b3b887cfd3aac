import CSystemShims
import Testing
import VolstatCore
import VolstatIngest

@Suite("CSV reader")
struct CSVReaderTests {
    static let delimiters: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t"), UInt8(ascii: "|")]
    static let lineEndings = ["\n", "\r\n"]

    @Test("every dialect reads every quoting case", arguments: delimiters, lineEndings)
    func dialectMatrix(delimiter: UInt8, lineEnding: String) throws {
        let d = String(UnicodeScalar(delimiter))
        let rows: [[String]] = [
            ["plain", "", "中文"],
            ["with\(d)delimiter", "with \"quote\"", "with\(lineEnding)line break"],
            ["", "", ""],
            ["  spaced  ", "\"", "last"],
        ]
        func encode(_ field: String) -> String {
            field.contains(d) || field.contains("\"") || field.contains("\n") || field.contains("\r")
                ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
        }
        let text =
            (["a", "b", "c"].joined(separator: d) + lineEnding)
            + rows.map { $0.map(encode).joined(separator: d) + lineEnding }.joined()
        for bufferSize in [64, 1024, 1 << 16] {
            let result = try readCSV(text, dialect: CSVDialect(delimiter: delimiter), bufferSize: bufferSize)
            #expect(result.header == ["a", "b", "c"])
            #expect(result.rows == rows)
            #expect(result.problems.isEmpty)
        }
    }

    @Test("a final record without a line break, and a trailing empty field")
    func endOfInput() throws {
        let result = try readCSV("a,b\n1,\n2,3")
        #expect(result.rows == [["1", ""], ["2", "3"]])
    }

    @Test("blank lines are skipped but still counted in line numbers")
    func blankLines() throws {
        let result = try readCSV("a,b\n\n1,2\n\r\n3\n")
        #expect(result.rows == [["1", "2"]])
        #expect(result.problems.map(\.line) == [5])
    }

    @Test("a byte-order mark is dropped, also before a quoted header")
    func byteOrderMark() throws {
        let result = try readCSV([0xEF, 0xBB, 0xBF] + Array("\"id\",name\n1,x\n".utf8))
        #expect(result.header == ["id", "name"])
        #expect(result.rows == [["1", "x"]])
    }

    @Test("ragged rows and stray quotes are reported with their line; reading goes on")
    func problems() throws {
        let result = try readCSV("a,b\n1,2,3\n\"x\"y,2\n4\n\"multi\nline\",5\n6,7\n")
        #expect(result.rows == [["multi\nline", "5"], ["6", "7"]])
        #expect(result.problems.map(\.line) == [2, 3, 4])
        #expect(result.problems.map(\.code) == ["row.ragged", "row.malformed", "row.ragged"])
    }

    @Test("an unterminated quote at the end of the input is one malformed record")
    func unterminatedQuote() throws {
        let result = try readCSV("a,b\n1,2\n3,\"open\n4,5\n")
        #expect(result.rows == [["1", "2"]])
        #expect(result.problems.map(\.line) == [3])
        #expect(result.problems.map(\.code) == ["row.malformed"])
    }

    @Test("invalid UTF-8 is reported as encoding.invalid with its column")
    func invalidUTF8() throws {
        let reader = try CSVReader(
            source: MemoryByteSource(Array("a,b\n1,".utf8) + [0xC3, 0x28] + Array("\n2,ok\n".utf8)), name: "t.csv")
        #expect(try reader.next())
        #expect(reader.problem == .invalidEncoding(column: 3))
        #expect(try reader.next())
        #expect(reader.problem == nil)
    }

    @Test(
        "the encoding is checked ahead of the current record: each bad record is found, at its column, whatever the buffer size",
        arguments: [64, 97, 1 << 20])
    func invalidUTF8AheadOfTheRecord(bufferSize: Int) throws {
        // Clean records with multi-byte characters (cut at every buffer boundary for the small
        // buffers), and bad ones: a stray continuation byte, a cut sequence before the line
        // break, an overlong form and U+FFFD, each at a different column.
        var bytes = Array("id,name\n".utf8)
        var expected: [(line: Int, column: Int?)] = []
        let bad: [[UInt8]] = [[0x80], [0xE6, 0xB8], [0xC0, 0xAF], [0xEF, 0xBF, 0xBD]]
        for line in 2...60 {
            let prefix = Array("\(line),渝见志愿".utf8) + Array(repeating: UInt8(ascii: "x"), count: line % 7)
            if line % 9 == 0 {
                bytes += prefix + bad[(line / 9) % bad.count] + Array("𠮷\n".utf8)
                expected.append((line, prefix.count + 1))
            } else {
                bytes += prefix + Array("城市文明\n".utf8)
                expected.append((line, nil))
            }
        }
        let reader = try CSVReader(source: MemoryByteSource(bytes), name: "t.csv", bufferSize: bufferSize)
        var found: [(line: Int, column: Int?)] = []
        while try reader.next() {
            switch reader.problem {
            case .invalidEncoding(let column): found.append((reader.line, column))
            case nil: found.append((reader.line, nil))
            default: Issue.record("unexpected problem \(String(describing: reader.problem))")
            }
        }
        #expect(found.map(\.line) == expected.map(\.line))
        #expect(found.map(\.column) == expected.map(\.column))
    }

    @Test(
        "doubled quotes beside multi-byte characters are valid UTF-8",
        arguments: ["\"\"\"渝见志愿\"\"城市文明劝导\"", "\"渝\"\"导\"", "\"𠮷\"\"\"", "\"\"\"\"\"𠮷\""])
    func doubledQuotesBesideMultiByteCharacters(field: String) throws {
        let result = try readCSV("a;b\n\(field);x\n", dialect: CSVDialect(delimiter: UInt8(ascii: ";")))
        #expect(result.problems.isEmpty)
        let expected = String(field.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"")
        #expect(result.rows == [[expected, "x"]])
    }

    @Test("a record larger than the buffer grows it")
    func hugeRecord() throws {
        let big = String(repeating: "x", count: 10_000)
        let result = try readCSV("a,b\n\"\(big)\",\(big)\n1,2\n", bufferSize: 64)
        #expect(result.rows == [[big, big], ["1", "2"]])
    }

    @Test("the header of an empty file is empty and there are no records")
    func emptyFile() throws {
        let result = try readCSV("")
        #expect(result.header.isEmpty)
        #expect(result.rows.isEmpty)
    }
}

@Suite("CSV tokenizer")
struct CSVTokenizerTests {
    @Test("asks for more data rather than guess at a buffer's end")
    func needsMoreData() {
        let tokenizer = CSVTokenizer()
        var fields: [CSVTokenizer.FieldSpan] = []
        for partial in ["1,2", "\"a,b", "\"a\"", "1,2\r", "1,"] {
            let outcome = Array(partial.utf8).withUnsafeBytes {
                tokenizer.tokenize($0, isEndOfInput: false, fields: &fields)
            }
            #expect(outcome == .needMoreData, "\(partial.debugDescription)")
        }
    }

    @Test(
        "a line break at every offset of the 64-byte blocks cuts the same fields, with or without a delimiter before it",
        arguments: ["\n", "\r", "\r\n"])
    func lineBreakAtEveryOffset(lineEnding: String) {
        let tokenizer = CSVTokenizer()
        var fields: [CSVTokenizer.FieldSpan] = []
        for length in 0...140 {
            for trailing in ["", ","] {
                let first = String(repeating: "x", count: length)
                let record = first + ",b,," + "c" + trailing
                // What follows the record: another one starting with a quote, in the same block.
                let bytes = Array((record + lineEnding + "\"q\",1" + lineEnding).utf8)
                let outcome = bytes.withUnsafeBytes { tokenizer.tokenize($0, isEndOfInput: false, fields: &fields) }
                #expect(outcome == .record(length: record.utf8.count + lineEnding.utf8.count, lineBreaks: 1))
                let values = fields.map { String(decoding: bytes[$0.start..<$0.end], as: UTF8.self) }
                #expect(values == [first, "b", "", "c"] + (trailing.isEmpty ? [] : [""]), "\(length) \(trailing)")
                #expect(fields.allSatisfy { !$0.quoted && !$0.escaped })
                // Cut right after a CR: the record may still end in CR LF.
                if lineEnding == "\r" {
                    let cut = Array((record + "\r").utf8)
                    let open = cut.withUnsafeBytes { tokenizer.tokenize($0, isEndOfInput: false, fields: &fields) }
                    #expect(open == .needMoreData)
                    let last = cut.withUnsafeBytes { tokenizer.tokenize($0, isEndOfInput: true, fields: &fields) }
                    #expect(last == .record(length: cut.count, lineBreaks: 1))
                }
            }
        }
    }

    @Test("a CR delimiter separates fields in records of every length, as the general loop reads it")
    func carriageReturnDelimiter() {
        let tokenizer = CSVTokenizer(delimiter: 0x0D)
        var fields: [CSVTokenizer.FieldSpan] = []
        for length in 0...140 {
            let first = String(repeating: "x", count: length)
            let bytes = Array((first + "\rb\rc\nnext\rrecord\n").utf8)
            let outcome = bytes.withUnsafeBytes { tokenizer.tokenize($0, isEndOfInput: false, fields: &fields) }
            #expect(outcome == .record(length: first.utf8.count + 5, lineBreaks: 1))
            let values = fields.map { String(decoding: bytes[$0.start..<$0.end], as: UTF8.self) }
            #expect(values == [first, "b", "c"], "\(length)")
        }
    }

    @Test("blocks full of delimiters: every field of a record of empty fields, across several blocks")
    func blocksOfDelimiters() {
        let tokenizer = CSVTokenizer()
        var fields: [CSVTokenizer.FieldSpan] = []
        for count in [63, 64, 65, 200] {
            let record = String(repeating: ",", count: count)
            let bytes = Array((record + "\n" + String(repeating: "y", count: 70) + "\n").utf8)
            let outcome = bytes.withUnsafeBytes { tokenizer.tokenize($0, isEndOfInput: false, fields: &fields) }
            #expect(outcome == .record(length: count + 1, lineBreaks: 1))
            #expect(fields.count == count + 1)
            #expect(fields.enumerated().allSatisfy { $1.start == $0 && $1.end == $0 && !$1.quoted })
        }
    }

    @Test("collapses doubled quotes in place")
    func unescape() {
        let tokenizer = CSVTokenizer()
        var fields: [CSVTokenizer.FieldSpan] = []
        var bytes = Array("\"say \"\"hi\"\"\"\n".utf8)
        let outcome = bytes.withUnsafeBytes { tokenizer.tokenize($0, isEndOfInput: false, fields: &fields) }
        #expect(outcome == .record(length: bytes.count, lineBreaks: 1))
        let length = bytes.withUnsafeMutableBytes { tokenizer.unescape($0, fields[0]) }
        #expect(String(decoding: bytes[1..<(1 + length)], as: UTF8.self) == "say \"hi\"")
    }
}

@Suite("CSV tokenizer against a byte-at-a-time reference")
struct TokenizerReferenceTests {
    /// A plain RFC 4180 reader, one byte at a time: records of fields, or nil for a malformed input.
    static func reference(_ bytes: [UInt8]) -> [[String]]? {
        var records: [[String]] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var index = 0
        var atFieldStart = true
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field = []
        }
        while index < bytes.count {
            let byte = bytes[index]
            if atFieldStart && byte == UInt8(ascii: "\"") {
                index += 1
                while true {
                    guard index < bytes.count else { return nil }
                    if bytes[index] == UInt8(ascii: "\"") {
                        if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\"") {
                            field.append(UInt8(ascii: "\""))
                            index += 2
                            continue
                        }
                        index += 1
                        break
                    }
                    field.append(bytes[index])
                    index += 1
                }
                guard index == bytes.count || [UInt8(ascii: ","), 0x0A, 0x0D].contains(bytes[index]) else {
                    return nil
                }
                atFieldStart = false
                continue
            }
            atFieldStart = false
            switch byte {
            case UInt8(ascii: ","):
                endField()
                atFieldStart = true
                index += 1
            case 0x0A, 0x0D:
                endField()
                records.append(fields)
                fields = []
                atFieldStart = true
                index += byte == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A ? 2 : 1
            default:
                field.append(byte)
                index += 1
            }
        }
        if !atFieldStart || !fields.isEmpty {
            endField()
            records.append(fields)
        }
        return records.filter { $0 != [""] }
    }

    /// A small buffer cuts records at its end (the general loop's case); a large one holds most
    /// records whole, with their line break in one of the 64-byte blocks of the fast path.
    @Test(
        "random records read the same as the reference, with fields around eight bytes long",
        arguments: [64, 4096])
    func randomInputs(bufferSize: Int) throws {
        var generator = SystemRandomNumberGenerator()
        let plain = ["a", "bc", "defghij", "klmnopqr", "长", "stuvwxyz0123456", "x\"y"]
        let quoted = plain + [",", "\n", "\r\n", "\"", ",\",", "0123456\""]
        for _ in 0..<300 {
            var text = "h1,h2,h3\n"
            for _ in 0..<Int.random(in: 1...40, using: &generator) {
                let fields = (0..<3).map { _ -> String in
                    let count = Int.random(in: 0...4, using: &generator)
                    if Bool.random(using: &generator) {
                        let content = (0..<count).map { _ in quoted.randomElement(using: &generator)! }.joined()
                        return "\"" + content.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                    }
                    // Empty now and then: `a,,b` and a delimiter right before the line break.
                    return (0..<count).map { _ in plain.randomElement(using: &generator)! }.joined()
                }
                text += fields.joined(separator: ",") + (Bool.random(using: &generator) ? "\n" : "\r\n")
            }
            let bytes = Array(text.utf8)
            let expected = try #require(Self.reference(bytes))
            let read = try readCSV(bytes, bufferSize: bufferSize)
            #expect(read.problems.isEmpty)
            #expect([read.header] + read.rows == expected, "input: \(text.debugDescription)")
        }
    }
}

@Suite("the CSV tokenizer's 64-byte masks")
struct CSVMaskTests {
    @Test("both forms mark exactly the delimiters, line breaks and quotes of random blocks")
    func masksMatchTheBytes() {
        let alphabet = Array(",;\t\n\r\"a长".utf8)
        // The AVX2 form only where the processor has it, as the tokenizer calls it.
        let forms = [volstat_csv_masks64] + (volstat_cpu_has_avx2() != 0 ? [volstat_csv_masks64_avx2] : [])
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let bytes = (0..<64).map { _ in alphabet.randomElement(using: &generator)! }
            for delimiter in [UInt8(ascii: ","), UInt8(ascii: ";"), 0x09] {
                var expected = volstat_csv_masks()
                for (index, byte) in bytes.enumerated() {
                    let bit: UInt64 = 1 << UInt64(index)
                    if byte == delimiter { expected.delimiters |= bit }
                    if byte == 0x0A || byte == 0x0D { expected.lineBreaks |= bit }
                    if byte == UInt8(ascii: "\"") { expected.quotes |= bit }
                }
                for form in forms {
                    var found = volstat_csv_masks()
                    bytes.withUnsafeBufferPointer { form($0.baseAddress, delimiter, UInt8(ascii: "\""), &found) }
                    #expect(
                        [found.delimiters, found.lineBreaks, found.quotes]
                            == [expected.delimiters, expected.lineBreaks, expected.quotes],
                        "\(bytes.map { String($0, radix: 16) }) delimiter \(delimiter)")
                }
            }
        }
    }
}
