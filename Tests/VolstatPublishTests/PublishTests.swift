import Testing
import VolstatAggregate
import VolstatCompression
import VolstatCore
import VolstatPublish

@Suite("publication style and tables")
struct PublishTests {
    @Test(
        "counts in 万 and 亿",
        arguments: [
            (7_050_000, "705万"), (6_200_000, "620万"), (1_040_000, "104万"), (3600, "3600"),
            (12_345, "1.23万"), (123_456_789, "1.23亿"), (15_000, "1.5万"),
        ] as [(Int64, String)])
    func counts(value: Int64, text: String) {
        #expect(ChineseNumberStyle.count(value) == text)
    }

    @Test("percentages and hours")
    func percentages() {
        #expect(ChineseNumberStyle.percent(705, 4528) == "15.6%")
        #expect(ChineseNumberStyle.percent(883, 2061) == "42.8%")
        #expect(ChineseNumberStyle.percent(1, 0) == nil)
        #expect(ChineseNumberStyle.hours(hundredths: 6_400_000, per: 1000) == "64小时")
        #expect(ChineseNumberStyle.hours(hundredths: 196_200, per: 271) == "7.2小时")
    }

    @Test("by_region rows: exact shares, empty where undefined, names from GB/T 2260")
    func byRegion() throws {
        var nation = RegionStatistics(code: 0, level: .national)
        nation.registered = 3
        nation.partyMembers = 1
        nation.totalHours = Hours(hundredths: 1000)
        nation.active = 2
        let empty = RegionStatistics(code: 360102, level: .county)
        let table = ByRegionTable.table([nation, empty], regions: try RegionTable.bundled())
        #expect(
            table.rows[0] == [
                "000000", "全国", "national", "3", "0", "1", "0.333333", "0", "10.00", "3.33", "2", "0.666667", "",
            ])
        #expect(table.rows[1] == ["360102", "东湖区", "county", "0", "0", "0", "", "0", "0.00", "", "0", "", ""])
    }

    @Test("CSV quoting and deterministic gzip")
    func csv() throws {
        let table = Table(
            name: "t", title: "t", columns: [.init("a", "string", "a"), .init("b", "string", "b")],
            rows: [["x,y", "say \"hi\""]])
        #expect(table.csv == "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n")
        #expect(try table.gzip() == (try table.gzip()))
        #expect(try Gunzip.decompress(try table.gzip()) == Array(table.csv.utf8))
    }
}
