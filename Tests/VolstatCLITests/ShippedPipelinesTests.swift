import Foundation
import Testing
import VolstatTestSupport

/// A report table read back: its rows as column name -> value.
struct ReportTable {
    var rows: [[String: String]]

    init(_ text: String) {
        let lines = text.split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        let header = lines.first ?? []
        rows = lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
    }

    /// The one row whose columns have the given values.
    func row(_ match: [String: String]) throws -> [String: String] {
        let found = rows.filter { row in match.allSatisfy { row[$0.key] == $0.value } }
        return try #require(found.count == 1 ? found.first : nil, "no single row with \(match)")
    }
}

/// Every shipped pipeline on its sample exports: accepted whole, every table equal to the independent
/// reference computation, and the figures the data was built to give (`expected.json`, the articles'
/// figures at 1:1000) in the tables and on the figures sheet.
@Suite("shipped pipelines")
struct ShippedPipelinesTests {
    /// What the figures sheet of each platform must show: the articles' figures.
    static let headlines: [String: [String]] = [
        "jiangxi": [
            "| 占常住人口比例 | 15.6% |", "| 党员占比 | 21.9% |", "| 人均服务时长 | 64小时 |", "| 60岁以上占比 | 9.5% |", "| 农村户籍占比 | 14.8% |",
        ],
        "chongqing": ["| 注册志愿者 | 6200人 |", "| 活跃志愿者 | 3200人 |", "| 活跃率 | 51.6% |"],
        "national": [],
        "western": [
            "| 报名者中党员占比 | 13.45% |", "| 录取者中党员占比 | 33.0% |", "| 录取者本科及以上学历占比 | 80.0% |",
            "| 服务新疆、西藏专项期满留疆留藏比例 | 35.0% |", "| 新疆生产建设兵团期满留团比例 | 42.8%（883/2061人） |",
        ],
        "nanjing": ["| 1小时内审核率 | 87.25% |", "| 1小时内响应率 | 76.56% |"],
    ]

    @Test("the sample exports give the reference tables and the expected figures", arguments: headlines.keys.sorted())
    func platform(_ name: String) throws {
        let workdir = try Workdir()
        let result = try volstat(["run", "pipelines/\(name).yaml", "--out", workdir.path], environment: testKey)
        #expect(result.status == 0, "\(result.standardError)")
        let report = workdir.url.appendingPathComponent("\(name)/2022-12-31")
        let validation = try JSONSerialization.jsonObject(
            with: Data(contentsOf: report.appendingPathComponent("validation.json")))
        let totals = (validation as? [String: Any])?["totals"] as? [String: Any]
        #expect(totals?["rows_rejected"] as? Int == 0, "the sample exports are clean")

        var tables: [String: ReportTable] = [:]
        let names = try FileManager.default.contentsOfDirectory(atPath: report.appendingPathComponent("tables").path)
        #expect(!names.isEmpty)
        for file in names.sorted() {
            let table = String(file.dropLast(".csv.gz".count))
            let text = try gunzipText(report.appendingPathComponent("tables/\(file)"))
            #expect(
                text == (try referenceTable(pipeline: "pipelines/\(name).yaml", asOf: "2022-12-31", table: table)),
                "\(table)")
            tables[table] = ReportTable(text)
        }

        let expected = try JSONSerialization.jsonObject(
            with: Data(contentsOf: RepositoryPaths.root.appendingPathComponent("sample-data/\(name)/expected.json")))
        let figures = try #require((expected as? [String: Any])?["figures"] as? [String: Any])
        switch name {
        case "western": try checkPlacements(figures, tables)
        case "nanjing": try checkOrders(figures, tables)
        default: try checkVolunteers(figures, tables)
        }

        let sheet = try String(contentsOf: report.appendingPathComponent("figures.md"), encoding: .utf8)
        for headline in Self.headlines[name] ?? [] {
            #expect(sheet.contains(headline), "\(headline)")
        }
    }

    func checkVolunteers(_ figures: [String: Any], _ tables: [String: ReportTable]) throws {
        let nation = try #require(tables["by_region"]).row(["level": "national"])
        #expect(nation["registered"] == text(figures["registered"]))
        #expect(nation["total_hours"] == text(figures["total_hours"]))
        #expect(nation["active"] == text(figures["active"]))
        #expect(nation["activity_rate"] == fraction(figures["activity_rate"]))
        #expect(nation["hours_per_capita"] == text((figures["hours_per_capita"] as? [String: Any])?["value"]))
        #expect(nation["party_member_share"] == fraction(figures["party_member_share"]))
        #expect(
            nation["political_status_unknown"] == text((figures["party_member_share"] as? [String: Any])?["unknown"]))
        if let newRegistrations = figures["new_registrations"] {
            #expect(nation["new_registrations"] == text(newRegistrations))
        }
        if let share = figures["registered_share_of_population"] {
            let province = try #require(tables["by_region"]).row(["level": "province"])
            #expect(province["registered_share_of_population"] == fraction(share))
        }
        let groups = try #require(tables["group_shares"]).row(["level": "national"])
        for share in ["elderly_share", "rural_share", "bachelor_or_above_share", "league_member_share"] {
            #expect(groups[share] == fraction(figures[share]), "\(share)")
        }
        for (code, value) in figures["by_province"] as? [String: [String: Any]] ?? [:] {
            let province = try #require(tables["by_region"]).row(["region_code": code])
            for measure in ["registered", "active", "total_hours"] {
                #expect(province[measure] == text(value[measure]), "\(code) \(measure)")
            }
        }
    }

    func checkPlacements(_ figures: [String: Any], _ tables: [String: ReportTable]) throws {
        let placements = try #require(tables["placements_by_province"])
        let all = try placements.row(["service_province_code": "000000", "special_programme": "all"])
        #expect(all["applicants"] == text(figures["applicants"]))
        #expect(all["admitted"] == text(figures["admitted"]))
        #expect(all["party_share_applicants"] == fraction(figures["party_share_applicants"]))
        #expect(all["party_share_admitted"] == fraction(figures["party_share_admitted"]))
        #expect(all["bachelor_or_above_share"] == fraction(figures["bachelor_or_above_admitted"]))
        #expect(all["ended"] == text(figures["ended"]))
        #expect(all["stayed_local"] == text(figures["stayed_local"]))
        #expect(all["retention_rate"] == fraction(figures["retention_all_programmes"]))
        let frontier = try #require(figures["retention_frontier"] as? [String: Any])
        for programme in ["serve_xinjiang", "serve_tibet"] {
            let row = try placements.row(["service_province_code": "000000", "special_programme": programme])
            #expect(row["retention_rate"] == fraction(frontier[programme]), "\(programme)")
        }
        let corps = try #require(figures["corps_660000"] as? [String: Any])
        let corpsRow = try placements.row(["service_province_code": "660000", "special_programme": "all"])
        #expect(corpsRow["ended"] == text(corps["ended"]))
        #expect(corpsRow["stayed_local"] == text(corps["stayed_local"]))
        #expect(corpsRow["retention_rate"] == fraction(corps["retention"]))
        for (code, value) in figures["by_service_unit"] as? [String: [String: Any]] ?? [:] {
            let row = try placements.row(["service_province_code": code, "special_programme": "all"])
            for measure in ["applicants", "admitted", "ended", "stayed_local"] {
                #expect(row[measure] == text(value[measure]), "\(code) \(measure)")
            }
        }
        #expect(try #require(tables["programme_checks"]).rows.count > 0)
    }

    func checkOrders(_ figures: [String: Any], _ tables: [String: ReportTable]) throws {
        let nation = try #require(tables["orders_by_region"]).row(["level": "national"])
        #expect(nation["orders"] == text(figures["orders"]))
        #expect(nation["completed"] == text((figures["completed"] as? [String: Any])?["numerator"]))
        #expect(nation["closed_loop"] == text((figures["closed_loop"] as? [String: Any])?["numerator"]))
        #expect(nation["closed_loop_share"] == fraction(figures["closed_loop"]))
        #expect(nation["reviewed_within_1h_share"] == fraction(figures["reviewed_within_1_hour"]))
        #expect(nation["answered_within_1h_share"] == fraction(figures["answered_within_1_hour"]))
    }

    /// A figure of expected.json as the tables write it.
    func text(_ value: Any?) -> String? {
        switch value {
        case let number as Int: return String(number)
        case let string as String: return string
        default: return nil
        }
    }

    func fraction(_ value: Any?) -> String? { (value as? [String: Any])?["fraction"] as? String }
}
