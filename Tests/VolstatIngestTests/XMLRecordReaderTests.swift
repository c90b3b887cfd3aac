import Foundation
import Testing
import VolstatCore
import VolstatIngest
import VolstatTestSupport

@Suite("XML record reader")
struct XMLRecordReaderTests {
    static let export = """
        <?xml version="1.0" encoding="UTF-8"?>
        <export platform="jx">
          <record id="SR1" verified="是">
            <vid>JX1</vid>
            <hours> 3.5 </hours>
            <volunteer code="9"><name>张 &amp; 三</name></volunteer>
          </record>
          <record id="SR2"/>
          <record id="SR3"><vid><![CDATA[JX<3>]]></vid><vid>ignored</vid></record>
        </export>
        """

    @Test("attributes, child elements, nested paths, CDATA and entities of the XML standard")
    func fields() throws {
        let records = try readXML(Self.export)
        #expect(records.count == 3)
        #expect(records[0]["@id"] == "SR1")
        #expect(records[0]["@verified"] == "是")
        #expect(records[0]["vid"] == "JX1")
        #expect(records[0]["hours"] == "3.5")
        #expect(records[0]["volunteer/@code"] == "9")
        #expect(records[0]["volunteer/name"] == "张 & 三")
        #expect(records[1] == ["@id": "SR2"])
        #expect(records[2]["vid"] == "JX<3>")
    }

    @Test("only the fields asked for are collected, in their slots")
    func selectedFields() throws {
        let reader = try XMLRecordReader(
            source: MemoryByteSource(Array(Self.export.utf8)), name: "t.xml", recordElement: "record",
            fields: ["hours", "@id", "missing"])
        #expect(try reader.next())
        #expect(reader.line == 3)
        #expect(String(decoding: reader.value(at: 0)!, as: UTF8.self) == "3.5")
        #expect(String(decoding: reader.value(at: 1)!, as: UTF8.self) == "SR1")
        #expect(reader.value(at: 2) == nil)
    }

    @Test("without a record name, the root's first child element is the record")
    func discoversRecordElement() throws {
        #expect(try readXML(Self.export, record: nil).count == 3)
    }

    @Test("malformed XML is an error with its line")
    func malformed() {
        let text = "<r>\n<record><a>1</a></record>\n<record><a>2</b></record>\n</r>"
        #expect {
            _ = try readXML(text)
        } throws: { error in
            "\(error)".contains("test.xml:3:") && "\(error)".contains("not well-formed")
        }
    }

    @Test("a billion-laughs document is refused at once")
    func billionLaughs() {
        var entities = "<!ENTITY lol \"lol\">\n"
        for level in 1...9 {
            entities +=
                "<!ENTITY lol\(level) \"" + String(repeating: "&lol\(level == 1 ? "" : String(level - 1));", count: 10)
                + "\">\n"
        }
        let text =
            "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n\(entities)]>\n<lolz><record><a>&lol9;</a></record></lolz>"
        #expect(throws: InputError.self) { _ = try readXML(text) }
    }

    @Test("an external entity is never read")
    func externalEntity() throws {
        let workdir = try Workdir()
        let secret = try workdir.write("secret.txt", "TOP-SECRET-CONTENT")
        let text = """
            <?xml version="1.0"?>
            <!DOCTYPE r [<!ENTITY xxe SYSTEM "file://\(secret)">]>
            <r><record><a>&xxe;</a></record></r>
            """
        #expect {
            _ = try readXML(text)
        } throws: { error in
            "\(error)".contains("DOCTYPE") && !"\(error)".contains("TOP-SECRET")
        }
    }
}
