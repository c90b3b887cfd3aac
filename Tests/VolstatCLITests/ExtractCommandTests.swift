import Foundation
import Testing
import VolstatCompression
import VolstatTestSupport

@Suite("volstat extract")
struct ExtractCommandTests {
    static let csv =
        "志愿者编号,身份证号,政治面貌\r\nJX1,360102199001011234,\"中共党员\"\r\nJX2,36010219900101123X,\"群众,\"\"测试\"\"\"\r\n"
    static let expected = """
        {"志愿者编号":"JX1","身份证号":"360102199001011234","政治面貌":"中共党员"}
        {"志愿者编号":"JX2","身份证号":"36010219900101123X","政治面貌":"群众,\\"测试\\""}

        """

    @Test("a GB18030 CSV with Chinese headers and CRLF prints UTF-8 JSON Lines, plain and gzip")
    func gb18030() throws {
        let workdir = try Workdir()
        let bytes = try GB18030.encode(Self.csv)
        try workdir.write("v.csv", bytes: bytes)
        try workdir.write("v.csv.gz", bytes: try GzipWriter.compress(bytes))
        for name in ["v.csv", "v.csv.gz"] {
            let result = try volstat([
                "extract", workdir.url.appendingPathComponent(name).path, "--encoding", "gb18030",
            ])
            #expect(result.status == 0, "\(result.standardError)")
            #expect(result.standardOutput == Self.expected)
            let detected = try volstat(["extract", workdir.url.appendingPathComponent(name).path])
            #expect(detected.standardOutput == Self.expected)
        }
    }

    @Test("an XML export with attributes and child elements")
    func xml() throws {
        let workdir = try Workdir()
        let path = try workdir.write(
            "s.xml",
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <export><record id="SR1" verified="是"><vid>JX1</vid><hours>3.5</hours></record>
            <record id="SR2"><vid>JX2</vid></record></export>
            """)
        let result = try volstat(["extract", path, "--record", "record"])
        #expect(result.status == 0)
        #expect(
            result.standardOutput
                == "{\"@id\":\"SR1\",\"@verified\":\"是\",\"vid\":\"JX1\",\"hours\":\"3.5\"}\n{\"@id\":\"SR2\",\"vid\":\"JX2\"}\n"
        )
    }

    @Test("billion laughs and XXE exit non-zero at once with a message, without the referenced file")
    func hostileXML() throws {
        let workdir = try Workdir()
        let secret = try workdir.write("secret.txt", "TOP-SECRET-CONTENT")
        var entities = "<!ENTITY lol \"lol\">"
        for level in 1...9 {
            entities +=
                "<!ENTITY lol\(level) \"" + String(repeating: "&lol\(level == 1 ? "" : String(level - 1));", count: 10)
                + "\">"
        }
        let laughs = try workdir.write(
            "laughs.xml", "<?xml version=\"1.0\"?><!DOCTYPE l [\(entities)]><l><r><a>&lol9;</a></r></l>")
        let xxe = try workdir.write(
            "xxe.xml",
            "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file://\(secret)\">]><r><record><a>&x;</a></record></r>"
        )
        for path in [laughs, xxe] {
            let result = try volstat(["extract", path])
            #expect(result.status == 3)
            #expect(result.standardError.hasPrefix("volstat: error: \(path):"))
            #expect(!result.standardOutput.contains("TOP-SECRET") && !result.standardError.contains("TOP-SECRET"))
        }
    }

    @Test("usage mistakes exit 2, unreadable input exits 3, never a stack trace")
    func errors() throws {
        let workdir = try Workdir()
        let ragged = try workdir.write("r.csv", "a,b\n1,2,3\n4,5\n")
        let cases: [([String], Int32, String)] = [
            (["extract", ragged, "--format", "json"], 2, "volstat: error: --format must be csv or xml, not 'json'\n"),
            (
                ["extract", ragged, "--encoding", "latin1"], 2,
                "volstat: error: --encoding must be utf-8, gb18030 or auto, not 'latin1'\n"
            ),
            (
                ["extract", workdir.path + "/missing.csv"], 3,
                "volstat: error: \(workdir.path)/missing.csv: cannot open: No such file or directory\n"
            ),
            (
                ["extract", ragged], 3,
                "\(ragged):2: row.ragged: found 3 fields, expected 2 as in the header\nvolstat: 1 record could not be read\n"
            ),
            (["run"], 2, "volstat: error: Missing expected argument '<pipeline>' (see `volstat help`)\n"),
            (["bogus"], 2, "volstat: error: Unexpected argument 'bogus' (see `volstat help`)\n"),
            (["runs", "--last", "0"], 2, "volstat: error: --last must be at least 1, not 0 (see `volstat help`)\n"),
            (
                ["run", "pipelines/jiangxi.yaml", "--as-of", "2022-13-01"], 2,
                "volstat: error: --as-of must be a date YYYY-MM-DD or yesterday, not '2022-13-01'\n"
            ),
        ]
        for (arguments, status, message) in cases {
            let result = try volstat(arguments)
            #expect(result.status == status, "\(arguments)")
            #expect(result.standardError == message)
        }
    }

    @Test("an encoding given on the command line wins over the XML declaration, and libxml2 prints nothing itself")
    func xmlEncodingOverride() throws {
        let workdir = try Workdir()
        let declared = try workdir.write(
            "declared.xml", "<?xml version=\"1.0\" encoding=\"GB18030\"?>\n<r><record><a>张三</a></record></r>\n")
        let told = try volstat(["extract", declared, "--encoding", "utf-8"])
        #expect(told.status == 0)
        #expect(told.standardOutput == "{\"a\":\"张三\"}\n")
        #expect(told.standardError.isEmpty)
        var bytes = Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<r><record><a>".utf8)
        bytes += [0xD5, 0xC5, 0xC8, 0xFD] + Array("</a></record></r>\n".utf8)
        let broken = try workdir.write("broken.xml", bytes: bytes)
        let result = try volstat(["extract", broken])
        #expect(result.status == 3)
        #expect(result.standardError.split(separator: "\n").count == 1, "\(result.standardError)")
        #expect(result.standardError.hasPrefix("volstat: error: \(broken):"))
    }
}
