import VolstatCore

/// Why one record of an input cannot be used; the reader goes on with the next record.
public enum RecordProblem: Sendable, Equatable {
    /// A CSV record with a different number of fields than the header.
    case ragged(found: Int, expected: Int)
    /// A CSV record that is not well-formed (a stray quote, an unterminated quoted field).
    case malformed(column: Int, reason: String)
    /// The record's bytes are not valid in the input's encoding.
    case invalidEncoding(column: Int)

    /// The stable rule code under which the validation report counts the problem.
    public var ruleCode: String {
        switch self {
        case .ragged: return "row.ragged"
        case .malformed: return "row.malformed"
        case .invalidEncoding: return "encoding.invalid"
        }
    }

    /// A message a user can act on (the location is added by whoever reports it).
    public var message: String {
        switch self {
        case .ragged(let found, let expected):
            return "found \(found) field\(found == 1 ? "" : "s"), expected \(expected) as in the header"
        case .malformed(_, let reason):
            return reason
        case .invalidEncoding:
            return "bytes that are not valid in the file's encoding"
        }
    }

    /// The 1-based column (byte within the line) where the problem is, when known.
    public var column: Int? {
        switch self {
        case .ragged: return nil
        case .malformed(let column, _), .invalidEncoding(let column): return column
        }
    }
}

/// A reader that yields the records of one input one at a time, as field values addressed by
/// slot, the same way for CSV and XML.
///
/// The bytes of a value are valid until the next call to `next()`. A record with a `problem`
/// still counts as read: the caller rejects it with the problem's rule code.
public protocol RecordReader: AnyObject {
    /// The name of the input, as given by the user (used in messages).
    var name: String { get }
    /// The names of the slots: the CSV header, or the XML field names asked for or found.
    var fieldNames: [String] { get }
    /// Advances to the next record; false at the end of the input.
    func next() throws -> Bool
    /// The 1-based line on which the current record starts.
    var line: Int { get }
    /// Why the current record cannot be used, if it cannot.
    var problem: RecordProblem? { get }
    /// The value in a slot of the current record; nil when the record does not have it.
    func value(at slot: Int) -> UnsafeRawBufferPointer?
    /// The slots present in the current record, in the order they appear.
    var presentSlots: [Int] { get }
    /// Bytes consumed from the underlying file, for progress reports.
    var bytesConsumed: Int { get }
    /// The exact offset in the file after the current record, when the file is read as it is
    /// (not decompressed or transcoded); nil otherwise. Used to estimate a file's row count.
    var offset: Int? { get }
}

extension RecordReader {
    public var offset: Int? { nil }
}
