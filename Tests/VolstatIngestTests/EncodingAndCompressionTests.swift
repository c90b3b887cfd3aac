import Testing
import VolstatCompression
import VolstatCore
import VolstatIngest
import VolstatTestSupport

@Suite("input files: gzip and GB18030")
struct InputFileTests {
    static let chinese =
        "志愿者编号,身份证号,姓名,备注\r\nJX1,360102199001011234,\"欧阳,娜\",李𠮷\r\nJX2,36010219900101123X,张三,\"多\r\n行\"\r\n"

    func read(path: String, encoding: TextEncoding) throws -> (header: [String], rows: [[String]]) {
        let reader = try RecordReaders.open(path: path, format: .csv, encoding: encoding)
        var rows: [[String]] = []
        while try reader.next() {
            #expect(reader.problem == nil)
            rows.append(reader.presentSlots.map { String(decoding: reader.value(at: $0)!, as: UTF8.self) })
        }
        return (reader.fieldNames, rows)
    }

    @Test(
        "GB18030 with Chinese headers and CRLF, plain and gzip, declared and detected",
        arguments: [TextEncoding.gb18030, .auto], [false, true])
    func gb18030(encoding: TextEncoding, compressed: Bool) throws {
        let workdir = try Workdir()
        var bytes = try GB18030.encode(Self.chinese)
        #expect(bytes.count < Array(Self.chinese.utf8).count)
        if compressed { bytes = try GzipWriter.compress(bytes) }
        let path = try workdir.write(compressed ? "v.csv.gz" : "v.csv", bytes: bytes)
        let result = try read(path: path, encoding: encoding)
        #expect(result.header == ["志愿者编号", "身份证号", "姓名", "备注"])
        #expect(
            result.rows == [
                ["JX1", "360102199001011234", "欧阳,娜", "李𠮷"], ["JX2", "36010219900101123X", "张三", "多\r\n行"],
            ])
    }

    @Test("auto detection keeps UTF-8 as UTF-8")
    func utf8Detected() throws {
        let workdir = try Workdir()
        let path = try workdir.write("u.csv", Self.chinese)
        #expect(try read(path: path, encoding: .auto).rows.count == 2)
        #expect(try InputFile.open(path: path, encoding: .auto).encoding == .utf8)
    }

    @Test("bytes invalid in GB18030 become encoding.invalid on their record only")
    func invalidGB18030() throws {
        let workdir = try Workdir()
        let bytes = Array("a,b\n1,".utf8) + [0x81, 0x20] + Array("\n2,ok\n".utf8)
        let path = try workdir.write("bad.csv", bytes: bytes)
        let reader = try RecordReaders.open(path: path, format: .csv, encoding: .gb18030)
        #expect(try reader.next())
        #expect(reader.problem?.ruleCode == "encoding.invalid")
        #expect(try reader.next())
        #expect(reader.problem == nil)
    }

    @Test("a truncated gzip file is an input error naming the file")
    func truncatedGzip() throws {
        let workdir = try Workdir()
        let whole = try GzipWriter.compress(Array(String(repeating: "a,b\n1,2\n", count: 5000).utf8))
        let path = try workdir.write("t.csv.gz", bytes: Array(whole.prefix(whole.count / 2)))
        #expect {
            let reader = try RecordReaders.open(path: path, format: .csv, encoding: .utf8)
            while try reader.next() {}
        } throws: { error in
            "\(error)".contains("t.csv.gz") && "\(error)".contains("truncated")
        }
    }

    @Test("a missing file is an input error")
    func missingFile() {
        #expect(throws: InputError.self) {
            _ = try RecordReaders.open(path: "/nonexistent/v.csv", format: .csv, encoding: .auto)
        }
    }
}
