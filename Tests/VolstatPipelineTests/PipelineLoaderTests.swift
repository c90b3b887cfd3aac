import Testing
import VolstatCore
import VolstatPipeline
import VolstatValidate

@Suite("pipeline files")
struct PipelineLoaderTests {
    static let valid = """
        name: jx
        as_of: 2022-12-31
        sources:
          - dataset: volunteers
            path: v-*.csv
            columns: {source_id: 编号}
          - dataset: service_records
            format: xml
            path: s.xml
            record: r
            fields: {record_id: "@id", volunteer_id: vid, hours: h, started_at: start}
        validate: {max_reject_rate: {overall: 0.02, rules: {id_number.check_digit: 0.001}}, rules: {date.future: warning}}
        publish: {formats: [csv.gz, xlsx, html], suppress_below: 5}

        """

    @Test("a valid file")
    func valid() throws {
        let config = try PipelineLoader.parse(Self.valid, file: "p.yaml")
        #expect(config.name == "jx")
        #expect(config.asOf == .date(CivilDate("2022-12-31")!))
        #expect(config.sources.count == 2)
        #expect(config.sources[0].format == .csv)
        #expect(config.sources[0].mapping.names == ["source_id": "编号"])
        #expect(config.sources[1].recordElement == "r")
        #expect(config.validation.maxRejectRate == 0.02)
        #expect(config.validation.maxRejectRateByRule == ["id_number.check_digit": 0.001])
        #expect(config.validation.severities["date.future"] == .warning)
        #expect(config.partyStatuses == [1, 2])
    }

    @Test(
        "mistakes name the file, the position, the key path and what was expected",
        arguments: [
            (
                "name: x\nsources:\n  - dataset: volunteers\n    path: a.csv\n    colums: {}\n",
                "p.yaml:5:5: sources[0].colums: unknown key; expected one of dataset, format, path, encoding, delimiter, columns, values, record, fields"
            ),
            (
                "name: x\nsources:\n  - dataset: donors\n    path: a.csv\n",
                "p.yaml:3:14: sources[0].dataset: 'donors' is not a dataset; expected one of volunteers, service_records, placements, orders, organizations"
            ),
            (
                "name: x\nsources:\n  - dataset: service_records\n    path: a.xml\n    fields: {record_id: '@id'}\n",
                "p.yaml:5:13: sources[0].fields: has no entry for required fields volunteer_id, hours, started_at of service_records"
            ),
            (
                "name: x\nsources:\n  - dataset: volunteers\n    path: a.csv\n    columns: {sourceid: a}\n",
                "p.yaml:5:15: sources[0].columns.sourceid: unknown canonical field of volunteers; expected one of source_id, id_number, gender, birth_date, political_status, education, household, region_code, registered_at, status, org_id"
            ),
            (
                "name: x\nas_of: 2022-13-01\nsources: []\n",
                "p.yaml:2:8: as_of: '2022-13-01' is not a date; expected YYYY-MM-DD or yesterday"
            ),
            ("name: x\nsources: []\n", "p.yaml:2:10: sources: expected a non-empty list of sources"),
            (
                "name: x\nsources:\n  - {dataset: volunteers, path: a.csv}\nvalidate: {max_reject_rate: 2}\n",
                "p.yaml:4:29: validate.max_reject_rate: '2' is not a share between 0 and 1 (e.g. 0.02 for 2 %)"
            ),
            (
                "name: x\nsources:\n  - {dataset: volunteers, path: a.csv}\nvalidate: {rules: {id.bad: off}}\n",
                "p.yaml:4:20: validate.rules.id.bad: unknown rule code; expected one of \(Rules.codes)"
            ),
            ("name: x\nsources: [\n", "p.yaml: not valid YAML: did not find expected node content at line 3, column 1"),
            (
                "name: x\nsources:\n  - {dataset: volunteers, path: a.csv}\nvalidate: {rules: {id_number.check_digit: warning}}\n",
                "p.yaml:4:43: validate.rules.id_number.check_digit: cannot be warning: a row that breaks it cannot be counted at all; rules that can be warnings or off: \(Rules.adjustable)"
            ),
        ])
    func mistakes(text: String, message: String) {
        #expect {
            _ = try PipelineLoader.parse(text, file: "p.yaml")
        } throws: { error in
            (error as? ConfigurationError)?.message == message
        }
    }

    @Test("the shipped pipelines load")
    func shipped() throws {
        let config = try PipelineLoader.load(path: "pipelines/jiangxi.yaml")
        #expect(config.sources.map(\.dataset) == [.volunteers, .serviceRecords])
    }
}

/// The rule codes as the loader lists them.
enum Rules {
    static let codes = Rule.all.map(\.code).joined(separator: ", ")
    static let adjustable = Rule.all.filter(\.isAdjustable).map(\.code).joined(separator: ", ")
}
