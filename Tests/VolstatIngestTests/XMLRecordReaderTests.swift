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

    @Test("warnings and namespace errors do not fail a well-formed document")
    func warnings() throws {
        let text = """
            <?xml version="1.1"?>
            <export xmlns="records"><record><ns:vid>JX1</ns:vid><hours>2</hours></record></export>
            """
        let records = try readXML(text)
        #expect(records.count == 1)
        #expect(records[0]["hours"] == "2")
    }

    @Test("an encoding given for a document with a UTF-8 byte-order mark")
    func byteOrderMarkWithEncoding() throws {
        let bytes = [0xEF, 0xBB, 0xBF] + Array("<r><record><vid>渝1</vid></record></r>".utf8)
        let reader = try XMLRecordReader(
            source: MemoryByteSource(bytes), name: "bom.xml", recordElement: "record", fields: ["vid"],
            encoding: "UTF-8")
        #expect(try reader.next())
        #expect(String(decoding: reader.value(at: 0)!, as: UTF8.self) == "渝1")
        #expect(try !reader.next())
    }

    @Test("mixed content: text after a child continues only a value its element began, and only its own")
    func mixedContent() throws {
        let text = "<r><record><a>1</a><a>2<c/>3</a><b>x<c>y</c>z</b></record></r>"
        let all = try readXML(text)
        #expect(all[0]["a"] == "1")
        // A child with a value of its own ends the parent's: values are kept whole, not in pieces.
        #expect(all[0]["b"] == "x")
        #expect(all[0]["b/c"] == "y")
        let some = try readXML(text, fields: ["a", "b"])
        #expect(some[0]["a"] == "1")
        #expect(some[0]["b"] == "xz")
    }

    @Test("records and values longer than a parser chunk, across chunk boundaries")
    func longRecords() throws {
        let long = String(repeating: "长", count: 200_000)
        var text = "<r>"
        for index in 0..<40 {
            text += "<record id=\"R\(index)\"><note>\(index == 20 ? long : "n\(index)")</note></record>"
        }
        text += "</r>"
        let records = try readXML(text)
        #expect(records.count == 40)
        #expect(records[20]["note"] == long)
        #expect(records[39]["@id"] == "R39")
        #expect(records[21]["note"] == "n21")
    }
}
