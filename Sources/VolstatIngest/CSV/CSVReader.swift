import Foundation
public import VolstatCore

/// The options of a CSV export: delimiter and quote character.
public struct CSVDialect: Sendable, Equatable {
    public var delimiter: UInt8
    public var quote: UInt8

    public init(delimiter: UInt8 = UInt8(ascii: ","), quote: UInt8 = UInt8(ascii: "\"")) {
        self.delimiter = delimiter
        self.quote = quote
    }

    /// The delimiter byte written as `text` (`\t` for a tab), or nil when it is not one ASCII
    /// character other than the quote or a line break (as the pipeline file and `extract` take it).
    public static func delimiterByte(_ text: String) -> UInt8? {
        let delimiter = text == "\\t" ? "\t" : text
        guard delimiter.utf8.count == 1, let byte = delimiter.utf8.first, byte != UInt8(ascii: "\""), byte != 0x0A,
            byte != 0x0D
        else { return nil }
        return byte
    }
}

/// Reads a CSV file with a header row as a stream of records, in bounded memory: a buffer that
/// holds the current record and the bytes read ahead of it, grown only for a record larger than it.
/// The buffer is a `ByteChunk` that a batch of rows may hold on to (`recordChunk(unless:)`): the
/// reader then reads on into another chunk (a spare one once nothing holds it) instead of
/// overwriting the bytes the batch points into, so memory is a chunk per batch in flight.
///
/// The byte-order mark is dropped, blank lines are skipped, records whose field count differs
/// from the header's are reported as `.ragged`, and (when asked) records with invalid UTF-8 or a
/// replacement character from transcoding are reported as `.invalidEncoding`.
///
/// ```swift
/// let reader = try CSVReader(source: FileByteSource(path: "v.csv"), name: "v.csv")
/// while try reader.next() {
///     if reader.problem == nil, let id = reader.value(at: 0) { ... }
/// }
/// ```
public final class CSVReader: RecordReader {
    public let name: String
    public private(set) var fieldNames: [String] = []
    public private(set) var line = 0
    public private(set) var problem: RecordProblem?
    public var bytesConsumed: Int {
        switch origin {
        case .source(let source): source.bytesConsumed
        case .mapped(let file): file.lent
        }
    }
    public var offset: Int? { offsetsAreExact ? bytesConsumed - (end - start) : nil }

    /// Where the bytes come from: a source read into chunks, or a file mapped into memory and
    /// tokenized where it lies (`buffer` is then the whole mapping, and `chunk` the window of it
    /// that the current record starts in).
    private enum Origin {
        case source(any ByteSource)
        case mapped(MappedFile)
    }
    private let origin: Origin
    /// The mapped file of `origin`, kept apart for the check on every record.
    private let mapped: MappedFile?
    /// The mapped file's window that `chunk` is.
    private var window = 0
    /// Whether the reader tokenizes a mapped file where it lies.
    var readsInPlace: Bool { mapped != nil }
    private let tokenizer: CSVTokenizer
    private let checkEncoding: Bool
    private let offsetsAreExact: Bool
    /// The chunk being read into, and its bytes.
    private var chunk: ByteChunk
    /// Counts the chunks read into: changes whenever `chunk` does.
    private var chunkNumber = 0
    private var buffer: UnsafeMutableRawBufferPointer
    /// Chunks read before, reused once nothing else holds them (a batch drops them when reset).
    private var spareChunks: [ByteChunk] = []
    private var start = 0
    private var end = 0
    private var endOfInput = false
    private var nextLine = 1
    private var atStartOfInput = true
    /// The current record's fields; once it is read, each span is its value's bytes (quotes
    /// removed and doubled quotes collapsed in place), relative to `recordStart`.
    private var spans = CSVTokenizer.FieldSpans()
    private var recordStart = 0
    private var recordLength = 0
    /// The buffer's bytes from the current record's start up to this offset are known to be
    /// valid UTF-8 without U+FFFD, so the records in them need no check of their own.
    private var checkedUpTo = 0
    private var allSlots: [Int] = []

    /// Opens the reader and reads the header row.
    ///
    /// - Parameters:
    ///   - checkEncoding: report records that are not valid UTF-8 or hold U+FFFD.
    ///   - hasHeader: when false, fields are named `1`, `2`, ... after the first record's width.
    ///   - offsetsAreExact: the source's bytes are the file's (not decompressed or transcoded),
    ///     so that `offset` can say where in the file a record ends.
    public convenience init(
        source: any ByteSource, name: String, dialect: CSVDialect = CSVDialect(), checkEncoding: Bool = true,
        hasHeader: Bool = true, bufferSize: Int = 1 << 20, offsetsAreExact: Bool = false
    ) throws {
        try self.init(
            origin: .source(source), name: name, dialect: dialect, checkEncoding: checkEncoding,
            hasHeader: hasHeader, bufferSize: bufferSize, offsetsAreExact: offsetsAreExact)
    }

    /// Reads a file mapped into memory where it lies (see `MappedFile`); its offsets are exact.
    convenience init(
        mapped file: MappedFile, name: String, dialect: CSVDialect = CSVDialect(), checkEncoding: Bool = true,
        hasHeader: Bool = true
    ) throws {
        try self.init(
            origin: .mapped(file), name: name, dialect: dialect, checkEncoding: checkEncoding,
            hasHeader: hasHeader, bufferSize: 0, offsetsAreExact: true)
    }

    private init(
        origin: Origin, name: String, dialect: CSVDialect, checkEncoding: Bool, hasHeader: Bool, bufferSize: Int,
        offsetsAreExact: Bool
    ) throws {
        self.origin = origin
        if case .mapped(let file) = origin { mapped = file } else { mapped = nil }
        self.offsetsAreExact = offsetsAreExact
        self.name = name
        self.tokenizer = CSVTokenizer(delimiter: dialect.delimiter, quote: dialect.quote)
        self.checkEncoding = checkEncoding
        switch origin {
        case .source:
            chunk = ByteChunk(count: max(bufferSize, 64))
            buffer = chunk.bytes
        case .mapped(let file):
            chunk = ByteChunk(window: 0, of: file)
            buffer = file.bytes
        }
        if hasHeader {
            guard try readRecord() else { return }
            if let problem {
                throw InputError("\(name):\(line): the header row is not valid CSV: \(problem.message)")
            }
            fieldNames = (0..<valueCount).map { slot in
                String(decoding: rawValue(slot), as: UTF8.self).trimmingCharacters(in: .whitespaces)
            }
            allSlots = Array(0..<fieldNames.count)
        }
    }

    public var presentSlots: [Int] { allSlots }

    public func value(at slot: Int) -> UnsafeRawBufferPointer? {
        slot >= 0 && slot < valueCount ? rawValue(slot) : nil
    }

    @inline(__always)
    private func rawValue(_ slot: Int) -> UnsafeRawBufferPointer {
        let span = spans[slot]
        return UnsafeRawBufferPointer(
            start: buffer.baseAddress! + recordStart + span.start, count: span.end - span.start)
    }

    /// The current record's bytes (quoted fields unescaped in place), valid until `next()`, or
    /// for as long as the chunk `recordChunk(unless:)` gives is held.
    var recordBytes: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: buffer.baseAddress! + recordStart, count: recordLength)
    }

    /// The chunk `recordBytes` lies in and its number, unless its number is `known` (the caller
    /// holds it already): while it is held, the reader does not write over it. Numbered so that a
    /// row costs no reference counting.
    func recordChunk(unless known: Int) -> (chunk: ByteChunk, number: Int)? {
        chunkNumber == known ? nil : (chunk, chunkNumber)
    }

    /// The number of values in the current record (0 for a malformed one).
    var valueCount: Int { spans.count }

    /// The current record's values as spans of `recordBytes`, `valueCount` of them, valid until
    /// `next()`: the form of `valueExtent` for a loop over the values.
    var valueSpans: UnsafePointer<CSVTokenizer.FieldSpan> { spans.base }

    /// Where a slot's value lies in `recordBytes`: its offset and length (the slot must be below
    /// `valueCount`).
    @inline(__always)
    func valueExtent(_ slot: Int) -> (start: Int, count: Int) {
        let span = spans[slot]
        return (span.start, span.end &- span.start)
    }

    public func next() throws -> Bool {
        guard try readRecord() else { return false }
        if problem == nil {
            if fieldNames.isEmpty {
                fieldNames = (1...valueCount).map(String.init)
                allSlots = Array(0..<fieldNames.count)
            } else if valueCount != fieldNames.count {
                problem = .ragged(found: valueCount, expected: fieldNames.count)
            }
        }
        return true
    }

    /// Reads the next non-blank record into `spans`; false at the end of the input.
    private func readRecord() throws -> Bool {
        if atStartOfInput { try skipByteOrderMark() }
        while true {
            let available = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
            let outcome = tokenizer.tokenize(available, isEndOfInput: endOfInput, into: &spans)
            switch outcome {
            case .endOfInput:
                return false
            case .needMoreData:
                try refill()
            case .record(let length, let lineBreaks):
                let begin = start
                line = nextLine
                nextLine += lineBreaks
                start += length
                if spans.count == 1 && !spans[0].quoted && spans[0].start == spans[0].end { continue }
                if let mapped { holdWindow(of: begin, in: mapped) }
                recordStart = begin
                problem = nil
                collectValues(length: length)
                return true
            case .malformed(let length, let lineBreaks, let offset, let reason):
                line = nextLine
                nextLine += lineBreaks
                spans.removeAll()
                recordLength = 0
                let column = columnOf(offset: offset, recordStart: start)
                if let mapped { holdWindow(of: start, in: mapped) }
                start += length
                switch reason {
                case .textAfterClosingQuote:
                    problem = .malformed(
                        column: column,
                        reason:
                            "a field's closing quote is followed by text; quote the whole field and double the quotes inside it"
                    )
                case .unterminatedQuote:
                    problem = .malformed(
                        column: column, reason: "a quoted field is never closed: the file ends inside it")
                }
                return true
            }
        }
    }

    /// Drops a UTF-8 byte-order mark at the very start of the input.
    private func skipByteOrderMark() throws {
        atStartOfInput = false
        while end - start < 3 && !endOfInput { try refill() }
        if end - start >= 3, buffer[start] == 0xEF, buffer[start + 1] == 0xBB, buffer[start + 2] == 0xBF {
            start += 3
        }
    }

    private func collectValues(length: Int) {
        recordLength = length
        let record = UnsafeMutableRawBufferPointer(start: buffer.baseAddress! + recordStart, count: length)
        // Checked before unescaping: unescaping shifts a quoted field's bytes left in place and
        // leaves the tail of the old bytes behind, which may end in a cut multi-byte character.
        if checkEncoding, recordStart + length > checkedUpTo, let offset = firstEncodingProblem(length: length) {
            problem = .invalidEncoding(column: columnOf(offset: offset, recordStart: recordStart))
        }
        guard spans.hasQuotedFields else { return }
        for index in 0..<valueCount where spans[index].quoted {
            let span = spans[index]
            let length = tokenizer.unescape(record, span)
            spans[index] = CSVTokenizer.FieldSpan(
                start: span.start + 1, end: span.start + 1 + length, quoted: false, escaped: false)
        }
    }

    /// The offset in the current record of its first encoding problem, if it has one. Checks
    /// every byte read ahead at once, so that the records after this one need no check while
    /// they lie before the first problem; a character cut off at the end of the buffer is
    /// checked again once the rest of it has been read.
    private func firstEncodingProblem(length: Int) -> Int? {
        let from = max(checkedUpTo, recordStart)
        let ahead = UnsafeRawBufferPointer(start: buffer.baseAddress! + from, count: end - from)
        guard let problem = UTF8Check.firstProblem(ahead) else {
            checkedUpTo = end
            return nil
        }
        checkedUpTo = from + problem
        return checkedUpTo < recordStart + length ? checkedUpTo - recordStart : nil
    }

    /// The 1-based column of a byte offset within the record's line.
    private func columnOf(offset: Int, recordStart: Int) -> Int {
        var lineStart = recordStart
        var index = recordStart
        while index < recordStart + offset {
            if buffer[index] == 0x0A { lineStart = index + 1 }
            index += 1
        }
        return recordStart + offset - lineStart + 1
    }

    /// Makes `chunk` the mapped file's window that the record at `offset` starts in. The windows
    /// passed over lie inside a record that started before them (blank lines and malformed
    /// records are not kept), which holds its own window, so they are let go at once.
    @inline(__always)
    private func holdWindow(of offset: Int, in file: MappedFile) {
        let index = offset >> MappedFile.windowShift
        guard index != window else { return }
        for skipped in (window + 1)..<max(window + 1, index) { file.release(window: skipped) }
        chunk = ByteChunk(window: index, of: file)
        chunkNumber += 1
        window = index
    }

    /// Reads more into the free end of the buffer, a quarter of it at a time: a piece is then
    /// read, hashed, checked and tokenized while it is still in the level-2 cache (read a whole
    /// chunk at once, it was fetched again from the shared level-3 cache or memory, and the
    /// tokenizer took twice as long when other machines used that). When the free end runs
    /// short, the unread bytes first move to the front, or to another chunk when something else
    /// holds this one (a batch whose rows point into it); the buffer grows if one record fills it.
    private func refill() throws {
        let source: any ByteSource
        switch origin {
        case .source(let reading): source = reading
        case .mapped(let mapped):
            // The mapping holds the whole file: the next piece follows the bytes lent before. The
            // tokenizer starts a record again from its start after each piece, so a record longer
            // than a piece takes pieces as long as what it has so far (it doubles, as the buffer
            // does below): its bytes are scanned a few times, not once per piece.
            let count = try mapped.lend(max(Self.mappedPiece, end - start))
            if count == 0 { endOfInput = true }
            end += count
            return
        }
        let piece = max(buffer.count / 4, 64)
        // Short of room, with unread bytes to move to the front or a full buffer to grow.
        if buffer.count - end < piece / 4, start > 0 || end == buffer.count {
            let unread = end - start
            let size = start == 0 ? buffer.count * 2 : buffer.count
            if size == buffer.count, isKnownUniquelyReferenced(&chunk) {
                if unread > 0 {
                    buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: unread)
                }
            } else {
                let next = spareChunk(size: size)
                if unread > 0 {
                    next.bytes.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: unread)
                }
                if size == buffer.count { spareChunks.append(chunk) }
                chunk = next
                chunkNumber += 1
                buffer = next.bytes
            }
            checkedUpTo = max(0, checkedUpTo - start)
            start = 0
            end = unread
        }
        let count = try source.read(
            into: UnsafeMutableRawBufferPointer(rebasing: buffer[end..<min(buffer.count, end + piece)]))
        if count == 0 { endOfInput = true }
        end += count
    }

    /// The bytes of a mapped file taken at once: as many as `refill` reads from a source of a
    /// 1 MiB chunk, so that a piece is checked and tokenized while it is in the level-2 cache.
    private static let mappedPiece = 1 << 18

    /// A chunk of `size` bytes that nothing else holds: a spare one, or a new one.
    private func spareChunk(size: Int) -> ByteChunk {
        spareChunks.removeAll { $0.bytes.count != size }
        for index in spareChunks.indices where isKnownUniquelyReferenced(&spareChunks[index]) {
            return spareChunks.remove(at: index)
        }
        return ByteChunk(count: size)
    }
}

/// A buffer of bytes a reader reads into, shared by reference with whoever keeps pointers into it:
/// memory of its own, or a window of a mapped file, let go when the last holder drops it.
final class ByteChunk {
    let bytes: UnsafeMutableRawBufferPointer
    private let mapped: MappedFile?
    private let window: Int

    init(count: Int) {
        bytes = .allocate(byteCount: count, alignment: 64)
        mapped = nil
        window = 0
    }

    /// Window `index` of `file` (see `MappedFile.windowSize`).
    init(window index: Int, of file: MappedFile) {
        let start = min(index << MappedFile.windowShift, file.bytes.count)
        bytes = UnsafeMutableRawBufferPointer(
            rebasing: file.bytes[start..<min(start + MappedFile.windowSize, file.bytes.count)])
        mapped = file
        window = index
    }

    deinit {
        if let mapped { mapped.release(window: window) } else { bytes.deallocate() }
    }
}
