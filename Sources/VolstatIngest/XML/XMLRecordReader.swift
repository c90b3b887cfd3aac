internal import CLibXML2
import Foundation
public import VolstatCore

/// Reads the records of an XML export one at a time with libxml2's SAX2 push parser: the file is
/// fed in chunks of 256 KiB and never held in memory (nor is a tree built), only the records
/// completed in the current chunk.
///
/// A record is each element named `recordElement`; its fields are its attributes (`@id`), the
/// text of its child elements (`vid`), of nested elements (`volunteer/id`) and their attributes
/// (`volunteer/@id`). Without a record element name, the first child of the root names it. A
/// repeated element keeps its first value; values are trimmed of surrounding white space.
///
/// Safety: a document type declaration stops the parser at once, so entities are never declared
/// or expanded (no "billion laughs") and no external entity or DTD is ever loaded (no XXE);
/// network access is off.
public final class XMLRecordReader: RecordReader {
    public let name: String
    public var fieldNames: [String] { state.fieldNames }
    public private(set) var line = 0
    public let problem: RecordProblem? = nil
    public private(set) var presentSlots: [Int] = []
    public var bytesConsumed: Int { source.bytesConsumed }

    private let source: any ByteSource
    private let state: SAXState
    private let parser: xmlParserCtxtPtr
    private var chunk: UnsafeMutableRawBufferPointer
    /// The next of `state.records` to hand out.
    private var nextRecord = 0
    private var valueRanges: [(start: Int, count: Int)] = []
    private var endOfInput = false
    private var finished = false
    /// With an encoding given, a UTF-8 byte-order mark at the start is dropped here: libxml2
    /// skips it only when it detects the encoding itself.
    private var dropByteOrderMark: Bool

    /// - Parameters:
    ///   - recordElement: the local name of the element that holds one record.
    ///   - fields: the field names to collect; nil collects every field found (as `extract` does).
    ///   - encoding: overrides the document's declared encoding (nil: the declaration, else UTF-8).
    public init(
        source: any ByteSource, name: String, recordElement: String?, fields: [String]?, encoding: String? = nil
    ) throws {
        self.name = name
        self.source = source
        dropByteOrderMark = encoding != nil
        state = SAXState(recordElement: recordElement, fields: fields)
        chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 16)
        volstat_xmlRefuseExternalEntities()
        volstat_xmlSilenceGenericErrors()
        var handler = xmlSAXHandler()
        handler.initialized = XML_SAX2_MAGIC
        handler.startElementNs = { context, localName, _, _, _, _, attributeCount, _, attributes in
            guard let context, let localName else { return }
            SAXState.with(context) { $0.startElement(localName, attributes: attributes, count: Int(attributeCount)) }
        }
        handler.endElementNs = { context, _, _, _ in
            guard let context else { return }
            SAXState.with(context) { $0.endElement() }
        }
        handler.characters = { context, text, length in
            guard let context, let text else { return }
            SAXState.with(context) { $0.characters(text, Int(length)) }
        }
        handler.ignorableWhitespace = handler.characters
        handler.cdataBlock = handler.characters
        handler.internalSubset = { context, _, _, _ in
            guard let context else { return }
            SAXState.with(context) { $0.refuseDocumentType() }
        }
        handler.serror = { context, error in
            guard let context, let error else { return }
            SAXState.with(context) { $0.parseError(error.pointee) }
        }
        let opaque = Unmanaged.passUnretained(state).toOpaque()
        guard let parser = xmlCreatePushParserCtxt(&handler, opaque, nil, 0, name) else {
            chunk.deallocate()
            throw InputError("\(name): cannot start the XML parser")
        }
        self.parser = parser
        state.parser = parser
        if let encoding {
            guard xmlCtxtResetPush(parser, nil, 0, name, encoding) == 0 else {
                xmlFreeParserCtxt(parser)
                chunk.deallocate()
                throw InputError("\(name): libxml2 cannot decode \(encoding)")
            }
        }
        // An encoding given by the caller wins over the document's declaration. Entities are
        // substituted, so that `&amp;` in an attribute reads as `&`: only the five predefined
        // ones can occur, since a document type declaration (where others would be declared)
        // stops the parser.
        _ = xmlCtxtUseOptions(
            parser,
            Int32(
                XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue
                    | XML_PARSE_NOCDATA.rawValue | XML_PARSE_BIG_LINES.rawValue | XML_PARSE_NOENT.rawValue
                    | (encoding == nil ? 0 : XML_PARSE_IGNORE_ENC.rawValue)))
    }

    deinit {
        xmlFreeParserCtxt(parser)
        chunk.deallocate()
    }

    public func value(at slot: Int) -> UnsafeRawBufferPointer? {
        guard slot < valueRanges.count else { return nil }
        let range = valueRanges[slot]
        guard range.count >= 0 else { return nil }
        return state.values.bytes(start: range.start, count: range.count)
    }

    public func next() throws -> Bool {
        guard !finished else { return false }
        while nextRecord >= state.records.count {
            if let error = state.error {
                finished = true
                throw InputError("\(name):\(error.line): \(error.message)")
            }
            if endOfInput {
                finished = true
                if state.insideRecord {
                    throw InputError("\(name):\(state.currentLine): the document ends inside a record")
                }
                return false
            }
            state.startChunk()
            nextRecord = 0
            try feed()
        }
        let record = state.records[nextRecord]
        nextRecord += 1
        line = record.line
        valueRanges.removeAll(keepingCapacity: true)
        valueRanges.append(contentsOf: repeatElement((start: 0, count: -1), count: state.fieldNames.count))
        presentSlots.removeAll(keepingCapacity: true)
        for entry in state.entries[record.entries] {
            valueRanges[Int(entry.slot)] = (entry.start, entry.count)
            presentSlots.append(Int(entry.slot))
        }
        return true
    }

    /// Parses the next chunk of the file (or ends the document).
    private func feed() throws {
        var count: Int
        var start = 0
        do {
            count = try source.read(into: chunk)
            if dropByteOrderMark {
                dropByteOrderMark = false
                while count < 3, count < chunk.count {
                    let more = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: chunk[count...]))
                    if more == 0 { break }
                    count += more
                }
                if count >= 3 && chunk[0] == 0xEF && chunk[1] == 0xBB && chunk[2] == 0xBF { start = 3 }
            }
        } catch let error as InputError {
            finished = true
            throw error
        }
        if count == 0 {
            endOfInput = true
            _ = xmlParseChunk(parser, nil, 0, 1)
        } else if count > start {
            _ = xmlParseChunk(
                parser, (chunk.baseAddress! + start).assumingMemoryBound(to: CChar.self), Int32(count - start), 0)
        }
        // libxml2 reports warnings and namespace errors through the same handler and reads on;
        // only a document that is no longer well-formed (or a refused DTD) fails the file.
        if state.error == nil && parser.pointee.wellFormed == 0 {
            state.error = state.firstDiagnostic ?? (state.currentLine, "not well-formed XML")
        }
    }
}

/// What the SAX callbacks build: the records completed in the current chunk (their values in one
/// arena), the interned element paths and the field slots.
private final class SAXState {
    struct Record {
        var line: Int
        var entries: Range<Int>
    }

    struct Entry {
        var slot: Int32
        var start: Int
        var count: Int
    }

    var parser: xmlParserCtxtPtr?
    private(set) var fieldNames: [String]
    private let discoversFields: Bool
    private var recordElement: [UInt8]?
    private var slotOfName: [String: Int] = [:]
    /// Per path, its child paths by libxml2's interned name pointer (few per path: a linear search).
    private var childrenOfPath: [[(name: UnsafeRawPointer, path: Int32)]] = [[]]
    private var pathSlot: [Int32] = [-1]
    private var pathName: [String] = [""]

    let values = ByteArena()
    private(set) var records: [Record] = []
    private(set) var entries: [Entry] = []
    var error: (line: Int, message: String)?
    var firstDiagnostic: (line: Int, message: String)?

    /// Element depth (the root is 0), the depth of the record being read (-1: none), the path of
    /// each open element inside it, and the slot text goes to (-1: none).
    private var depth = -1
    private var recordDepth = -1
    /// Per open element inside the record: its path, and whether it began its slot's value (only
    /// then does text after a child element continue that value).
    private var pathStack: [(path: Int32, began: Bool)] = []
    private var textSlot: Int32 = -1
    private var recordStart = 0
    private var recordLine = 0
    /// Per slot, the serial of the last record that has it (a repeated element keeps its first value).
    private var slotRecord: [Int] = []
    private var recordSerial = 0

    init(recordElement: String?, fields: [String]?) {
        self.recordElement = recordElement.map { Array($0.utf8) }
        discoversFields = fields == nil
        fieldNames = fields ?? []
        for (slot, field) in fieldNames.enumerated() where slotOfName[field] == nil { slotOfName[field] = slot }
        slotRecord = Array(repeating: -1, count: fieldNames.count)
    }

    /// Calls `body` with the state a callback's context points to, without retaining it.
    @inline(__always)
    static func with(_ context: UnsafeMutableRawPointer, _ body: (SAXState) -> Void) {
        Unmanaged<SAXState>.fromOpaque(context)._withUnsafeGuaranteedRef(body)
    }

    var insideRecord: Bool { recordDepth >= 0 }

    var currentLine: Int { parser.map { Int(xmlSAX2GetLineNumber($0)) } ?? 0 }

    /// Forgets the records handed out; a record still open keeps its values.
    func startChunk() {
        records.removeAll(keepingCapacity: true)
        if insideRecord {
            // Move the open record's values and entries to the front (once: a record longer than
            // a chunk is at the front already, and is not copied again).
            let kept = Array(entries[recordStart...])
            let base = kept.map(\.start).min() ?? values.count
            if base == 0 {
                entries = kept
                recordStart = 0
                return
            }
            let bytes = [UInt8](UnsafeRawBufferPointer(values.bytes(start: base, count: values.count - base)))
            values.reset()
            bytes.withUnsafeBytes { values.append($0) }
            entries = kept.map { Entry(slot: $0.slot, start: $0.start - base, count: $0.count) }
            recordStart = 0
        } else {
            values.reset()
            entries.removeAll(keepingCapacity: true)
            recordStart = 0
        }
    }

    func startElement(
        _ localName: UnsafePointer<xmlChar>, attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, count: Int
    ) {
        depth += 1
        if recordDepth < 0 {
            guard isRecordElement(localName) else { return }
            recordDepth = depth
            recordSerial += 1
            recordStart = entries.count
            recordLine = currentLine
            collectAttributes(path: 0, attributes, count)
            pathStack.removeAll(keepingCapacity: true)
            pathStack.append((0, false))
            textSlot = -1
            return
        }
        let path = childPath(parent: pathStack.last?.path ?? 0, localName)
        collectAttributes(path: path, attributes, count)
        let slot = pathSlot[Int(path)]
        let began = slot >= 0 && begin(slot: Int(slot))
        pathStack.append((path, began))
        textSlot = began ? slot : -1
    }

    func endElement() {
        defer { depth -= 1 }
        guard recordDepth >= 0 else { return }
        if depth == recordDepth {
            trimRecord()
            records.append(Record(line: recordLine, entries: recordStart..<entries.count))
            recordDepth = -1
            recordStart = entries.count
            textSlot = -1
            return
        }
        pathStack.removeLast()
        // Text after a child element continues the parent's value, if the parent began it.
        if let parent = pathStack.last, parent.began { textSlot = pathSlot[Int(parent.path)] } else { textSlot = -1 }
    }

    func characters(_ text: UnsafePointer<xmlChar>, _ length: Int) {
        guard textSlot >= 0, let last = entries.last, last.slot == textSlot,
            last.start + last.count == values.count
        else { return }
        values.append(UnsafeRawBufferPointer(start: text, count: length))
        entries[entries.count - 1].count += length
    }

    func refuseDocumentType() {
        if error == nil {
            error = (
                currentLine,
                "the document has a document type declaration (<!DOCTYPE>); volstat refuses DTDs so that no entity is expanded and no external file is read"
            )
        }
        if let parser { xmlStopParser(parser) }
    }

    /// Keeps the first error-level diagnostic, as the message for a document that turns out not
    /// to be well-formed (warnings are not kept).
    func parseError(_ error: xmlError) {
        guard firstDiagnostic == nil, error.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
        let text = error.message.map { String(cString: $0) } ?? "malformed XML"
        // libxml2's messages may span lines ("...\nBytes: 0xD5 0xC5"): one line for the user.
        let oneLine = text.split(whereSeparator: \.isNewline).map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }.joined(separator: " ")
        firstDiagnostic = (Int(error.line), "not well-formed XML: \(oneLine)")
    }

    private func isRecordElement(_ localName: UnsafePointer<xmlChar>) -> Bool {
        if let recordElement {
            return recordElement.withUnsafeBufferPointer { expected in
                strlen(UnsafeRawPointer(localName).assumingMemoryBound(to: CChar.self)) == expected.count
                    && memcmp(localName, expected.baseAddress!, expected.count) == 0
            }
        }
        guard depth == 1 else { return false }
        recordElement = Array(String(cString: localName).utf8)
        return true
    }

    /// The path id of an element under `parent`, interned by libxml2's name pointer (names are
    /// kept in the parser's dictionary, so one name has one pointer).
    private func childPath(parent: Int32, _ localName: UnsafePointer<xmlChar>) -> Int32 {
        let name = UnsafeRawPointer(localName)
        for child in childrenOfPath[Int(parent)] where child.name == name { return child.path }
        let text = String(cString: localName)
        let full = parent == 0 ? text : pathName[Int(parent)] + "/" + text
        let id = Int32(pathName.count)
        pathName.append(full)
        pathSlot.append(Int32(slot(for: full)))
        childrenOfPath.append([])
        childrenOfPath[Int(parent)].append((name, id))
        return id
    }

    /// The slot of a field name, adding it when fields are discovered; -1 when not wanted.
    private func slot(for field: String) -> Int {
        if let slot = slotOfName[field] { return slot }
        guard discoversFields else { return -1 }
        let slot = fieldNames.count
        fieldNames.append(field)
        slotOfName[field] = slot
        slotRecord.append(-1)
        return slot
    }

    /// Attributes come as five pointers each: local name, prefix, URI, value start, value end.
    private func collectAttributes(
        path: Int32, _ attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, _ count: Int
    ) {
        guard count > 0, let attributes else { return }
        let prefix = path == 0 ? "@" : pathName[Int(path)] + "/@"
        for index in 0..<count {
            let base = attributes + index * 5
            guard let localName = base[0], let start = base[3], let end = base[4] else { continue }
            let slot = slot(for: prefix + String(cString: localName))
            guard slot >= 0, begin(slot: slot) else { continue }
            let length = end - start
            values.append(UnsafeRawBufferPointer(start: start, count: length))
            entries[entries.count - 1].count = length
        }
    }

    /// Starts a slot's value at the end of the arena; false when the record has it already.
    private func begin(slot: Int) -> Bool {
        guard slotRecord[slot] != recordSerial else { return false }
        slotRecord[slot] = recordSerial
        entries.append(Entry(slot: Int32(slot), start: values.count, count: 0))
        return true
    }

    /// Trims surrounding ASCII white space from the record's values (pretty-printed exports indent them).
    private func trimRecord() {
        for index in recordStart..<entries.count where entries[index].count > 0 {
            var (start, count) = (entries[index].start, entries[index].count)
            while count > 0, Self.isSpace(values[start]) {
                start += 1
                count -= 1
            }
            while count > 0, Self.isSpace(values[start + count - 1]) { count -= 1 }
            entries[index].start = start
            entries[index].count = count
        }
    }

    @inline(__always)
    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
