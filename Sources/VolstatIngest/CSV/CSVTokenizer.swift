import CSystemShims
import VolstatCore

/// The byte-level CSV tokenizer: finds the fields of one record in a buffer without copying or
/// allocating (apart from the reusable span list). It knows nothing of files, headers or encodings.
///
/// RFC 4180 with the usual liberties: LF, CRLF or a lone CR ends a record; a field that starts
/// with a quote runs to the matching quote, with `""` standing for one quote and delimiters and
/// line breaks inside taken literally; a quote inside an unquoted field is an ordinary byte.
public struct CSVTokenizer: Sendable {
    public var delimiter: UInt8
    public var quote: UInt8
    /// The processor has AVX2 for `volstat_csv_masks64_avx2` (`volstat_cpu_has_avx2` asks once
    /// per process).
    private let wideMasks = volstat_cpu_has_avx2() != 0

    /// - Precondition: the quote is neither a line break nor the delimiter (the pipeline file
    ///   and `extract` fix it to `"`).
    public init(delimiter: UInt8 = UInt8(ascii: ","), quote: UInt8 = UInt8(ascii: "\"")) {
        precondition(
            quote != 0x0A && quote != 0x0D && quote != delimiter,
            "a CSV quote must not be a line break or the delimiter")
        self.delimiter = delimiter
        self.quote = quote
    }

    /// One field of a record: byte offsets into the record, with the quotes still in place.
    public struct FieldSpan: Sendable, Equatable {
        public var start: Int
        public var end: Int
        /// The field was enclosed in quotes (which `start..<end` still includes).
        public var quoted: Bool
        /// The quoted field contains doubled quotes that must be collapsed.
        public var escaped: Bool
    }

    /// The outcome of tokenizing at the start of a buffer.
    public enum Outcome: Sendable, Equatable {
        /// A complete record of `length` bytes (terminator included) spanning `lineBreaks` line breaks.
        case record(length: Int, lineBreaks: Int)
        /// The record is malformed: `length` bytes up to and including the end of its line are
        /// skipped; `offset` is where the problem is, relative to the record's start.
        case malformed(length: Int, lineBreaks: Int, offset: Int, reason: Malformation)
        /// The buffer ends inside the record: give more bytes (or say it is the end of input).
        case needMoreData
        /// The buffer is empty and the input has ended.
        case endOfInput
    }

    public enum Malformation: Sendable, Equatable {
        /// A byte other than a delimiter or a line break follows a closing quote.
        case textAfterClosingQuote
        /// The input ends inside a quoted field.
        case unterminatedQuote
    }

    /// A growable list of spans in memory of its own, so that appending a span is one store
    /// (no uniqueness or capacity checks of an array per field).
    public struct FieldSpans: ~Copyable {
        public private(set) var count = 0
        /// Whether any span is of a quoted field (set by the tokenizer, cleared by `removeAll`).
        public internal(set) var hasQuotedFields = false
        private var capacity: Int
        private var storage: UnsafeMutablePointer<FieldSpan>

        public init(capacity: Int = 64) {
            self.capacity = max(capacity, 1)
            storage = .allocate(capacity: self.capacity)
        }

        deinit { storage.deallocate() }

        public subscript(index: Int) -> FieldSpan {
            @inline(__always) get { storage[index] }
            @inline(__always) set { storage[index] = newValue }
        }

        @inline(__always)
        mutating func removeAll() {
            count = 0
            hasQuotedFields = false
        }

        @inline(__always)
        mutating func append(_ span: FieldSpan) {
            if count == capacity { grow() }
            storage[count] = span
            count += 1
        }

        /// Appends an unquoted field for each set bit of `delimiters`, ending at `blockStart` plus
        /// the bit's index, the first starting at `fieldStart`, which is left where the field after
        /// the last one starts (the fast path's loop, with the count kept in a register).
        @inline(__always)
        mutating func appendFields(endingAt delimiters: UInt64, blockStart: Int, fieldStart: inout Int) {
            // Room for a field per bit there can be (counting the bits set takes 20 instructions
            // where the processor's population count is not assumed).
            if count &+ 64 > capacity { grow(atLeast: count &+ 64) }
            let storage = self.storage
            var bits = delimiters
            var index = count
            var start = fieldStart
            while bits != 0 {
                let end = blockStart &+ bits.trailingZeroBitCount
                storage[index] = FieldSpan(start: start, end: end, quoted: false, escaped: false)
                start = end &+ 1
                index &+= 1
                bits &= bits &- 1
            }
            count = index
            fieldStart = start
        }

        private mutating func grow(atLeast minimum: Int = 0) {
            let larger = max(capacity * 2, minimum)
            let moved = UnsafeMutablePointer<FieldSpan>.allocate(capacity: larger)
            moved.initialize(from: storage, count: count)
            storage.deallocate()
            storage = moved
            capacity = larger
        }

        /// The spans in memory: their contents change with the next `append` or `removeAll`, and
        /// the memory itself when an `append` grows it.
        var base: UnsafePointer<FieldSpan> { UnsafePointer(storage) }

        /// The spans as an array (for tests and diagnostics).
        public var array: [FieldSpan] { (0..<count).map { storage[$0] } }
    }

    /// Tokenizes the record at the start of `bytes` into `fields` (cleared first).
    ///
    /// - Parameter isEndOfInput: no bytes follow `bytes`; a record without a final line break
    ///   is then complete.
    public func tokenize(
        _ bytes: UnsafeRawBufferPointer, isEndOfInput: Bool, fields: inout [FieldSpan]
    ) -> Outcome {
        var spans = FieldSpans(capacity: max(fields.capacity, 16))
        let outcome = tokenize(bytes, isEndOfInput: isEndOfInput, into: &spans)
        fields = spans.array
        return outcome
    }

    /// Tokenizes the record at the start of `bytes` into `fields` (cleared first); the reader's
    /// form of `tokenize(_:isEndOfInput:fields:)`.
    public func tokenize(
        _ bytes: UnsafeRawBufferPointer, isEndOfInput: Bool, into fields: inout FieldSpans
    ) -> Outcome {
        fields.removeAll()
        let count = bytes.count
        guard count > 0 else { return isEndOfInput ? .endOfInput : .needMoreData }
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        if let outcome = tokenizeWithoutQuotes(base, count, isEndOfInput: isEndOfInput, into: &fields) {
            return outcome
        }
        fields.removeAll()
        let delimiter = self.delimiter
        let quote = self.quote
        let delimiterWord = Self.broadcast(delimiter)
        let quoteWord = Self.broadcast(quote)
        let lineFeedWord = Self.broadcast(0x0A)
        let carriageReturnWord = Self.broadcast(0x0D)
        var index = 0
        var lineBreaks = 0
        while true {
            let fieldStart = index
            if index < count && base[index] == quote {
                // Quoted field: find the closing quote, skipping doubled quotes.
                var escaped = false
                var scan = index + 1
                while true {
                    // Eight bytes at a time past text with neither a quote nor a line feed.
                    while scan + 8 <= count,
                        Self.matches(
                            UnsafeRawPointer(base + scan).loadUnaligned(as: UInt64.self), quoteWord, lineFeedWord)
                            == 0
                    {
                        scan += 8
                    }
                    while scan < count && base[scan] != quote {
                        if base[scan] == 0x0A { lineBreaks += 1 }
                        scan += 1
                    }
                    if scan == count {
                        guard isEndOfInput else { return .needMoreData }
                        return .malformed(
                            length: count, lineBreaks: lineBreaks, offset: fieldStart, reason: .unterminatedQuote)
                    }
                    if scan + 1 < count && base[scan + 1] == quote {
                        escaped = true
                        scan += 2
                        continue
                    }
                    if scan + 1 == count && !isEndOfInput { return .needMoreData }
                    break
                }
                index = scan + 1
                fields.append(FieldSpan(start: fieldStart, end: index, quoted: true, escaped: escaped))
                fields.hasQuotedFields = true
                if index == count { return .record(length: count, lineBreaks: lineBreaks) }
                let next = base[index]
                if next == delimiter {
                    index += 1
                    if index == count {
                        guard isEndOfInput else { return .needMoreData }
                        fields.append(FieldSpan(start: index, end: index, quoted: false, escaped: false))
                        return .record(length: count, lineBreaks: lineBreaks)
                    }
                    continue
                }
                if next == 0x0A || next == 0x0D {
                    return terminate(base, count, at: index, lineBreaks: lineBreaks, isEndOfInput: isEndOfInput)
                }
                // Skip the rest of the line so that reading can go on with the next record.
                var end = index
                while end < count && base[end] != 0x0A { end += 1 }
                if end == count && !isEndOfInput { return .needMoreData }
                return .malformed(
                    length: min(end + 1, count), lineBreaks: lineBreaks + (end < count ? 1 : 0), offset: index,
                    reason: .textAfterClosingQuote)
            }
            // Eight bytes at a time to the first delimiter or line break.
            while index + 8 <= count {
                let found = Self.matches(
                    UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self), delimiterWord, lineFeedWord,
                    carriageReturnWord)
                if found != 0 {
                    index += found.trailingZeroBitCount >> 3
                    break
                }
                index += 8
            }
            while index < count {
                let byte = base[index]
                if byte == delimiter || byte == 0x0A || byte == 0x0D { break }
                index += 1
            }
            if index == count {
                guard isEndOfInput else { return .needMoreData }
                fields.append(FieldSpan(start: fieldStart, end: index, quoted: false, escaped: false))
                return .record(length: count, lineBreaks: lineBreaks)
            }
            fields.append(FieldSpan(start: fieldStart, end: index, quoted: false, escaped: false))
            if base[index] == delimiter {
                index += 1
                if index == count {
                    guard isEndOfInput else { return .needMoreData }
                    fields.append(FieldSpan(start: index, end: index, quoted: false, escaped: false))
                    return .record(length: count, lineBreaks: lineBreaks)
                }
                continue
            }
            return terminate(base, count, at: index, lineBreaks: lineBreaks, isEndOfInput: isEndOfInput)
        }
    }

    /// The fast path for the common record: no quote anywhere before its line break, and the
    /// line break within the last whole 64-byte block before `count`. Finds the delimiters, line
    /// breaks and quotes 64 bytes at a time (`volstat_csv_masks64_avx2` or `volstat_csv_masks64`, one bit per byte) and cuts the
    /// fields at the delimiters' bits before the record's end. Returns nil, with `fields` partly
    /// filled, for any other record, which the general loop then tokenizes from the start.
    @inline(__always)
    private func tokenizeWithoutQuotes(
        _ base: UnsafePointer<UInt8>, _ count: Int, isEndOfInput: Bool, into fields: inout FieldSpans
    ) -> Outcome? {
        var blockStart = 0
        var fieldStart = 0
        var masks = volstat_csv_masks()
        while blockStart &+ 64 <= count {
            if wideMasks {
                volstat_csv_masks64_avx2(base + blockStart, delimiter, quote, &masks)
            } else {
                volstat_csv_masks64(base + blockStart, delimiter, quote, &masks)
            }
            var delimiters = masks.delimiters
            // A delimiter that is itself CR or LF separates fields, as in the general loop.
            let lineBreaks = masks.lineBreaks & ~delimiters
            // The record's end in this block, and only the delimiters before it.
            let end = lineBreaks.trailingZeroBitCount
            if end < 64 { delimiters &= (1 << UInt64(end)) &- 1 }
            // A quote before the record's end: not this path's record.
            if masks.quotes != 0 && masks.quotes.trailingZeroBitCount < end { return nil }
            fields.appendFields(endingAt: delimiters, blockStart: blockStart, fieldStart: &fieldStart)
            if end < 64 {
                let index = blockStart &+ end
                fields.append(FieldSpan(start: fieldStart, end: index, quoted: false, escaped: false))
                return terminate(base, count, at: index, lineBreaks: 0, isEndOfInput: isEndOfInput)
            }
            blockStart &+= 64
        }
        return nil
    }

    /// A byte repeated in every byte of a word.
    @inline(__always)
    static func broadcast(_ byte: UInt8) -> UInt64 { UInt64(byte) &* 0x0101_0101_0101_0101 }

    /// A word with the high bit set in the bytes of `word` equal to the byte of any of the
    /// patterns, exact up to and including its lowest such byte (SWAR zero-byte test; bytes
    /// above the first match may be marked falsely, which `trailingZeroBitCount` never sees).
    @inline(__always)
    static func matches(_ word: UInt64, _ first: UInt64, _ second: UInt64) -> UInt64 {
        WordBytes.zeroBytes(word ^ first) | WordBytes.zeroBytes(word ^ second)
    }

    @inline(__always)
    static func matches(_ word: UInt64, _ first: UInt64, _ second: UInt64, _ third: UInt64) -> UInt64 {
        WordBytes.zeroBytes(word ^ first) | WordBytes.zeroBytes(word ^ second) | WordBytes.zeroBytes(word ^ third)
    }

    /// Ends a record at the line break at `index` (LF, CRLF or a lone CR).
    @inline(__always)
    private func terminate(
        _ base: UnsafePointer<UInt8>, _ count: Int, at index: Int, lineBreaks: Int, isEndOfInput: Bool
    ) -> Outcome {
        if base[index] == 0x0D {
            if index + 1 == count && !isEndOfInput { return .needMoreData }
            if index + 1 < count && base[index + 1] == 0x0A {
                return .record(length: index + 2, lineBreaks: lineBreaks + 1)
            }
        }
        return .record(length: index + 1, lineBreaks: lineBreaks + 1)
    }

    /// Collapses the doubled quotes of a quoted field in place and returns the length of the
    /// unquoted content, which then starts at `span.start + 1`.
    public func unescape(_ record: UnsafeMutableRawBufferPointer, _ span: FieldSpan) -> Int {
        let contentStart = span.start + 1
        let contentEnd = span.end - 1
        guard span.escaped else { return contentEnd - contentStart }
        var read = contentStart
        var write = contentStart
        while read < contentEnd {
            let byte = record[read]
            record[write] = byte
            write += 1
            read += (byte == quote && read + 1 < contentEnd && record[read + 1] == quote) ? 2 : 1
        }
        return write - contentStart
    }
}
