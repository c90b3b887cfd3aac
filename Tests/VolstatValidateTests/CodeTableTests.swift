import Testing
import VolstatCore

@testable import VolstatValidate

@Suite("code tables")
struct CodeTableTests {
    static func number(_ table: CodeTable, _ text: String) -> UInt8? {
        var text = text
        return text.withUTF8 { table.number(UnsafeRawBufferPointer($0)) }
    }

    @Test("every code of every canonical table gives its number; near misses give nil")
    func canonicalTables() {
        let tables: [CodeTable] = [
            .politicalStatus, .gender, .education, .household, .volunteerStatus, .stage, .specialProgramme, .postLevel,
            .outcome, .rating,
        ]
        for table in tables {
            var numbers = Set<UInt8>()
            for code in table.codes {
                let found = Self.number(table, code)
                #expect(found != nil, "\(code)")
                numbers.insert(found ?? 0)
                for miss in [code + " ", " " + code, code + "0", String(code.dropLast()), code + code]
                where !table.codes.contains(miss) {
                    #expect(Self.number(table, miss) == nil, "\(miss)")
                }
            }
            #expect(numbers.count == table.codes.count)
        }
        #expect(Self.number(.politicalStatus, "13") == 13)
        #expect(Self.number(.politicalStatus, "01") == 1)
        #expect(Self.number(.politicalStatus, "1") == nil)
        #expect(Self.number(.household, "urban") == 2)
        #expect(Self.number(.gender, "") == nil)
    }

    @Test("a table of many codes of every length up to 24 bytes finds each and nothing else")
    func manyCodes() {
        var codes: [(String, UInt8)] = []
        for index in 0..<60 {
            let length = index % 24 + 1
            codes.append((String(repeating: "a", count: length - 1) + String(index % 10), UInt8(index + 1)))
        }
        var seen = Set<String>()
        codes = codes.filter { seen.insert($0.0).inserted }
        let table = CodeTable(codes)
        for (code, number) in codes {
            #expect(Self.number(table, code) == number, "\(code)")
            #expect(Self.number(table, code + "x") == nil)
        }
        #expect(Self.number(table, "zz") == nil)
    }
}
