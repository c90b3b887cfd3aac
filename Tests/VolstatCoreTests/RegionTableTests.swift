import Testing
import VolstatCore

@Suite("GB/T 2260 region table")
struct RegionTableTests {
    @Test("the bundled table names every level")
    func names() throws {
        let regions = try RegionTable.bundled()
        #expect(regions.name(of: 0) == "全国")
        #expect(regions.name(of: 360000) == "江西省")
        #expect(regions.name(of: 360100) == "南昌市")
        #expect(regions.name(of: 360102) == "东湖区")
        #expect(regions.contains(659001))
        #expect(!regions.contains(369999))
        #expect(!regions.contains(-1))
        #expect(regions.allCodes.count > 3000)
    }

    @Test("codes roll up from county to nation")
    func rollUp() {
        #expect(RegionTable.rollUp(360102) == [0, 360000, 360100, 360102])
        #expect(RegionTable.rollUp(360100) == [0, 360000, 360100])
        #expect(RegionTable.rollUp(360000) == [0, 360000])
        #expect(RegionTable.rollUp(0) == [0])
        // Codes that are no division (only unvalidated runs keep them) count towards each group once.
        #expect(RegionTable.rollUp(100) == [0, 100])
        #expect(RegionTable.rollUp(123) == [0, 100, 123])
        #expect(RegionTable.rollUp(-1) == [0, -1])
        #expect(RegionTable.level(of: 360102) == .county)
        #expect(RegionTable.text(0) == "000000")
    }

    @Test("a region code is exactly six ASCII digits, spaces around allowed")
    func parseCodes() {
        func parsed(_ text: String) -> RegionCode? { withBytes(text) { RegionTable.parseCode($0) } }
        #expect(parsed("360102") == 360102)
        #expect(parsed(" 360102  ") == 360102)
        #expect(parsed("000000") == 0)
        #expect(parsed("999999") == 999999)
        for bad in ["", "36010", "3601020", "36010a", "/60102", ":60102", "36 102", "３６０１０２", "-36010"] {
            #expect(parsed(bad) == nil, "\(bad)")
        }
    }
}
