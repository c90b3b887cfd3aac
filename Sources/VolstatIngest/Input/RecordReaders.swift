import VolstatCore

/// Opens the right reader for an export: CSV or XML, gzip or not, UTF-8 or GB18030.
public enum RecordReaders {
    /// - Parameters:
    ///   - recordElement: XML only: the element holding one record.
    ///   - fields: XML only: the field names to collect (nil: every field found).
    ///   - digest: hashes the file's bytes as they are read.
    public static func open(
        path: String, format: InputFormat, encoding: TextEncoding, dialect: CSVDialect = CSVDialect(),
        recordElement: String? = nil, fields: [String]? = nil, digest: InputDigest? = nil
    ) throws -> any RecordReader {
        switch format {
        case .csv:
            let opened = try InputFile.open(path: path, encoding: encoding, digest: digest)
            return try CSVReader(
                source: opened.source, name: path, dialect: dialect,
                offsetsAreExact: !opened.compressed && opened.encoding != .gb18030)
        case .xml:
            let opened = try InputFile.open(path: path, encoding: .utf8, transcode: false, digest: digest)
            let declared: String? = encoding == .gb18030 ? "GB18030" : (encoding == .utf8 ? "UTF-8" : nil)
            return try XMLRecordReader(
                source: opened.source, name: path, recordElement: recordElement, fields: fields, encoding: declared)
        }
    }
}
