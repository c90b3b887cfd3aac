internal import CLibXML2
import Foundation
public import VolstatCore

/// Reads the records of an XML export one at a time with libxml2's streaming xmlTextReader: the
/// document is never held in memory, only the current record's values.
///
/// A record is each element named `recordElement`; its fields are its attributes (`@id`), the
/// text of its child elements (`vid`), of nested elements (`volunteer/id`) and their attributes
/// (`volunteer/@id`). Without a record element name, the first child of the root names it.
///
/// Safety: document type declarations are refused, so entities are never expanded (no "billion
/// laughs") and no external entity or DTD is ever loaded (no XXE); network access is off.
public final class XMLRecordReader: RecordReader {
    public let name: String
    public private(set) var fieldNames: [String]
    public private(set) var line = 0
    public let problem: RecordProblem? = nil
    public private(set) var presentSlots: [Int] = []
    public var bytesConsumed: Int { context.source.bytesConsumed }

    private let reader: xmlTextReaderPtr
    private let context: ReadContext
    private var recordElement: String?
    private let discoversFields: Bool
    private var slotOfName: [String: Int] = [:]
    /// Interned paths: (parent path, libxml2's interned local name) -> path id.
    private var pathIDs: [PathKey: Int32] = [:]
    private var pathSlot: [Int32] = [-1]
    private var pathName: [String] = [""]
    private let values = ByteArena()
    private var pathStack: [Int32] = []
    private var valueRanges: [(start: Int, count: Int)] = []
    private var finished = false

    private struct PathKey: Hashable {
        var parent: Int32
        var name: UnsafeRawPointer
    }

    /// - Parameters:
    ///   - recordElement: the local name of the element that holds one record.
    ///   - fields: the field names to collect; nil collects every field found (as `extract` does).
    ///   - encoding: overrides the document's declared encoding (nil: the declaration, else UTF-8).
    public init(
        source: any ByteSource, name: String, recordElement: String?, fields: [String]?, encoding: String? = nil
    ) throws {
        self.name = name
        self.recordElement = recordElement
        self.discoversFields = fields == nil
        self.fieldNames = fields ?? []
        for (slot, field) in fieldNames.enumerated() where slotOfName[field] == nil { slotOfName[field] = slot }
        valueRanges = Array(repeating: (0, -1), count: fieldNames.count)
        context = ReadContext(source: source)
        volstat_xmlRefuseExternalEntities()
        volstat_xmlSilenceGenericErrors()
        // An encoding given by the caller wins over the document's declaration.
        let options = Int32(
            XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue
                | XML_PARSE_COMPACT.rawValue | XML_PARSE_NOCDATA.rawValue | XML_PARSE_BIG_LINES.rawValue
                | (encoding == nil ? 0 : XML_PARSE_IGNORE_ENC.rawValue))
        let opaque = Unmanaged.passUnretained(context).toOpaque()
        guard
            let reader = xmlReaderForIO(
                { context, buffer, length in
                    guard let context, let buffer else { return -1 }
                    let box = Unmanaged<ReadContext>.fromOpaque(context).takeUnretainedValue()
                    return box.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: Int(length)))
                }, nil, opaque, name, encoding, options)
        else {
            throw InputError("\(name): cannot start the XML reader")
        }
        self.reader = reader
        xmlTextReaderSetStructuredErrorHandler(
            reader,
            { context, error in
                guard let context, let error else { return }
                let box = Unmanaged<ReadContext>.fromOpaque(context).takeUnretainedValue()
                if box.parseError == nil {
                    let text = error.pointee.message.map { String(cString: $0) } ?? "malformed XML"
                    // libxml2's messages may span lines ("...\nBytes: 0xD5 0xC5"): one line for the user.
                    let oneLine = text.split(whereSeparator: \.isNewline).map {
                        $0.trimmingCharacters(in: .whitespaces)
                    }.filter { !$0.isEmpty }.joined(separator: " ")
                    box.parseError = (Int(error.pointee.line), oneLine)
                }
            }, opaque)
    }

    deinit { xmlFreeTextReader(reader) }

    public func value(at slot: Int) -> UnsafeRawBufferPointer? {
        guard slot < valueRanges.count else { return nil }
        let range = valueRanges[slot]
        guard range.count >= 0 else { return nil }
        return values.bytes(start: range.start, count: range.count)
    }

    public func next() throws -> Bool {
        guard !finished else { return false }
        values.reset()
        pathStack.removeAll(keepingCapacity: true)
        for slot in valueRanges.indices { valueRanges[slot] = (0, -1) }
        presentSlots.removeAll(keepingCapacity: true)
        var recordDepth: Int32 = -1
        var textTarget: Int32 = -1
        while true {
            let status = xmlTextReaderRead(reader)
            if status == 0 {
                finished = true
                if recordDepth >= 0 { throw failure(line: line, "the document ends inside a record") }
                return false
            }
            if status < 0 { throw currentError() }
            let type = xmlTextReaderNodeType(reader)
            switch type {
            case Int32(XML_READER_TYPE_DOCUMENT_TYPE.rawValue):
                throw failure(
                    line: currentLine(),
                    "the document has a document type declaration (<!DOCTYPE>); volstat refuses DTDs so that no entity is expanded and no external file is read"
                )
            case Int32(XML_READER_TYPE_ENTITY_REFERENCE.rawValue):
                throw failure(line: currentLine(), "the document uses an entity reference; entities are not expanded")
            case Int32(XML_READER_TYPE_ELEMENT.rawValue):
                let depth = xmlTextReaderDepth(reader)
                let empty = xmlTextReaderIsEmptyElement(reader) == 1
                if recordDepth < 0 {
                    guard isRecordElement(depth: depth) else { continue }
                    recordDepth = depth
                    line = currentLine()
                    collectAttributes(path: 0)
                    if empty { return true }
                    pathStack.append(0)
                    continue
                }
                let path = childPath(parent: pathStack.last ?? 0)
                collectAttributes(path: path)
                // A repeated element keeps the first occurrence's value: only a fresh slot takes text.
                var slot = pathSlot[Int(path)]
                if slot >= 0 && valueRanges[Int(slot)].count >= 0 { slot = -1 }
                if slot >= 0 { begin(slot: Int(slot)) }
                if !empty {
                    pathStack.append(path)
                    textTarget = slot
                }
            case Int32(XML_READER_TYPE_END_ELEMENT.rawValue):
                guard recordDepth >= 0 else { continue }
                if xmlTextReaderDepth(reader) == recordDepth {
                    trimValues()
                    return true
                }
                pathStack.removeLast()
                textTarget = pathSlot[Int(pathStack.last ?? 0)]
                if pathStack.count <= 1 { textTarget = -1 }
            case Int32(XML_READER_TYPE_TEXT.rawValue), Int32(XML_READER_TYPE_CDATA.rawValue),
                Int32(XML_READER_TYPE_SIGNIFICANT_WHITESPACE.rawValue):
                guard textTarget >= 0, let text = xmlTextReaderConstValue(reader) else { continue }
                append(text, to: Int(textTarget))
            default:
                continue
            }
        }
    }

    private func isRecordElement(depth: Int32) -> Bool {
        guard let localName = xmlTextReaderConstLocalName(reader) else { return false }
        if let recordElement { return xmlStrEqual(localName, recordElement) == 1 }
        guard depth == 1 else { return false }
        recordElement = String(cString: localName)
        return true
    }

    /// The path id of the current element under `parent`, interned by libxml2's name pointer.
    private func childPath(parent: Int32) -> Int32 {
        let localName = xmlTextReaderConstLocalName(reader)!
        let key = PathKey(parent: parent, name: UnsafeRawPointer(localName))
        if let known = pathIDs[key] { return known }
        let text = String(cString: localName)
        let full = parent == 0 ? text : pathName[Int(parent)] + "/" + text
        return intern(full, key: key)
    }

    private func intern(_ full: String, key: PathKey) -> Int32 {
        let id = Int32(pathName.count)
        pathName.append(full)
        pathSlot.append(Int32(slot(for: full)))
        pathIDs[key] = id
        return id
    }

    /// The slot of a field name, adding it when fields are discovered; -1 when not wanted.
    private func slot(for field: String) -> Int {
        if let slot = slotOfName[field] { return slot }
        guard discoversFields else { return -1 }
        let slot = fieldNames.count
        fieldNames.append(field)
        slotOfName[field] = slot
        valueRanges.append((0, -1))
        return slot
    }

    private func collectAttributes(path: Int32) {
        guard xmlTextReaderHasAttributes(reader) == 1 else { return }
        let prefix = path == 0 ? "@" : pathName[Int(path)] + "/@"
        var more = xmlTextReaderMoveToFirstAttribute(reader)
        while more == 1 {
            if let localName = xmlTextReaderConstLocalName(reader) {
                let field = prefix + String(cString: localName)
                let slot = slot(for: field)
                if slot >= 0, valueRanges[slot].count < 0, let value = xmlTextReaderConstValue(reader) {
                    begin(slot: slot)
                    append(value, to: slot)
                }
            }
            more = xmlTextReaderMoveToNextAttribute(reader)
        }
        xmlTextReaderMoveToElement(reader)
    }

    /// Marks a slot present (first occurrence wins) and starts its value at the end of the arena.
    private func begin(slot: Int) {
        guard valueRanges[slot].count < 0 else { return }
        valueRanges[slot] = (values.count, 0)
        presentSlots.append(slot)
    }

    private func append(_ text: UnsafePointer<xmlChar>, to slot: Int) {
        let range = valueRanges[slot]
        // Only the value most recently begun can grow (a repeated element keeps its first value).
        guard range.count >= 0, range.start + range.count == values.count else { return }
        let length = strlen(UnsafeRawPointer(text).assumingMemoryBound(to: CChar.self))
        values.append(UnsafeRawBufferPointer(start: text, count: length))
        valueRanges[slot].count += length
    }

    /// Trims surrounding ASCII white space from every value (pretty-printed exports indent them).
    private func trimValues() {
        for slot in valueRanges.indices where valueRanges[slot].count > 0 {
            var (start, count) = valueRanges[slot]
            while count > 0, isSpace(values[start]) {
                start += 1
                count -= 1
            }
            while count > 0, isSpace(values[start + count - 1]) { count -= 1 }
            valueRanges[slot] = (start, count)
        }
    }

    @inline(__always)
    private func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

    private func currentLine() -> Int {
        if let node = xmlTextReaderCurrentNode(reader) {
            let line = Int(xmlGetLineNo(node))
            if line > 0 { return line }
        }
        return Int(xmlTextReaderGetParserLineNumber(reader))
    }

    private func currentError() -> InputError {
        if let thrown = context.thrown { return thrown }
        if let (errorLine, message) = context.parseError {
            return failure(line: errorLine, "not well-formed XML: \(message)")
        }
        return failure(line: Int(xmlTextReaderGetParserLineNumber(reader)), "not well-formed XML")
    }

    private func failure(line: Int, _ message: String) -> InputError {
        finished = true
        return InputError("\(name):\(line): \(message)")
    }
}

/// What the C callbacks of libxml2 need: the byte source, and the errors they cannot throw.
private final class ReadContext {
    let source: any ByteSource
    var thrown: InputError?
    var parseError: (line: Int, message: String)?

    init(source: any ByteSource) { self.source = source }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int32 {
        do {
            return Int32(try source.read(into: buffer))
        } catch let error as InputError {
            thrown = error
            return -1
        } catch {
            thrown = InputError("\(error)")
            return -1
        }
    }
}
