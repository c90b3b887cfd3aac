import Foundation
import Testing
import VolstatCompression
import VolstatTestSupport

/// An export in a dialect volstat has never seen: English headers, `;`, UTF-8 with a byte-order
/// mark, gzip, a second platform, and XML whose fields are attributes and nested elements.
@Suite("an unseen dialect")
struct DialectTests {
    /// (volunteer no, region, party, registered, state) of the first platform.
    static let volunteers: [(String, String, String, String, String)] = (0..<40).map { index in
        let regions = ["360102", "360103", "500103", "360100"]
        let parties = ["Member", "Probationary", "League", "None", ""]
        let dates = ["2021/3/5", "2022-07-06", "2022年1月1日", "2023-02-01", "2020-12-31 08:00:00"]
        return (
            "V\(index)", regions[index % 4], parties[index % 5], dates[index % 5], index % 13 == 0 ? "Closed" : "Open"
        )
    }

    func writeExport(_ workdir: Workdir) throws -> String {
        var csv = "\u{FEFF}Vol No;ID Card;Party;Area;Reg Date;State;Note\r\n"
        for (index, row) in Self.volunteers.enumerated() {
            let id = identityNumber(
                region: row.1 == "360100" ? "360102" : row.1, born: "1985060\(index % 9 + 1)", sequence: index)
            csv += "\(row.0);\(id);\(row.2);\(row.1);\(row.3);\(row.4);\"a;b \"\"q\"\"\"\r\n"
        }
        try workdir.write("export/a/volunteers-1.csv.gz", bytes: try GzipWriter.compress(Array(csv.utf8)))
        // A second platform: two of the same persons (V1, V2 by identity number) in another province.
        var second = "source_id,id_number,region_code,registered_at,political_status\n"
        for index in [1, 2, 41] {
            let id = identityNumber(
                region: index == 41
                    ? "110101" : Self.volunteers[index].1 == "360100" ? "360102" : Self.volunteers[index].1,
                born: "1985060\(index % 9 + 1)", sequence: index)
            second += "B\(index),\(id),110101,2022-03-0\(index % 9 + 1),01\n"
        }
        try workdir.write("export/b/volunteers.csv", second)
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<hours xmlns=\"urn:example:hours\">\n"
        for index in 0..<120 {
            let volunteer = index % 7 == 6 ? "B\([1, 2, 41][index % 3])" : "V\(index % 40)"
            let month = index % 14 + 1
            let date = month <= 12 ? String(format: "2022-%02d-15", month) : "2023-01-1\(month - 12)"
            let verified = index % 9 == 0 ? "N" : "Y"
            xml += "  <entry ref=\"R\(index)\" volunteer=\"\(volunteer)\" hrs=\"\(index % 8 + 1).\(index % 4 * 25)\">"
            xml += "<when start=\"\(date) 09:00\" end=\"\(date) 18:00\"/><ok>\(verified)</ok></entry>\n"
        }
        xml += "</hours>\n"
        try workdir.write("export/service.xml", xml)
        let pipeline = """
            name: unseen
            as_of: 2022-12-31
            sources:
              - dataset: volunteers
                format: csv
                path: \(workdir.path)/export/a/volunteers-*.csv.gz
                encoding: utf-8
                delimiter: ";"
                columns: {source_id: Vol No, id_number: ID Card, political_status: Party, region_code: Area,
                          registered_at: Reg Date, status: State}
                values:
                  political_status: {Member: "01", Probationary: "02", League: "03", None: "13"}
                  status: {Open: active, Closed: deregistered}
              - dataset: volunteers
                path: \(workdir.path)/export/b/*.csv
              - dataset: service_records
                format: xml
                path: \(workdir.path)/export/service.xml
                record: entry
                fields: {record_id: "@ref", volunteer_id: "@volunteer", hours: "@hrs", started_at: "when/@start",
                         ended_at: "when/@end", verified: ok}
                values:
                  verified: {Y: "1", N: "0"}

            """
        return try workdir.write("unseen.yaml", pipeline)
    }

    @Test("counts, hours and shares equal the independent computation")
    func matchesReference() throws {
        let workdir = try Workdir()
        let pipeline = try writeExport(workdir)
        let result = try volstat(["run", pipeline, "--out", workdir.path + "/out"], environment: testKey)
        #expect(result.status == 0, "\(result.standardError)")
        let table = try gunzipText(workdir.url.appendingPathComponent("out/unseen/2022-12-31/tables/by_region.csv.gz"))
        let rows = table.split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        let national = try #require(rows.first { $0.first == "000000" })
        // First platform: 40 rows, 8 registered after as_of (index % 5 == 3), 3 more deregistered
        // (0, 26, 39): 29. Second platform: B1 and B2 are V1 and V2 again, B41 is new: 30 nationally.
        #expect(national[3] == "30")
        let beijing = try #require(rows.first { $0.first == "110000" })
        #expect(beijing[3] == "3")
        #expect(table == (try referenceTable(pipeline: pipeline, asOf: "2022-12-31")))
    }
}
