import VolstatCore

/// Opens the right reader for an export: CSV or XML, gzip or not, UTF-8 or GB18030.
public enum RecordReaders {
    /// - Parameters:
    ///   - recordElement: XML only: the element holding one record.
    ///   - fields: XML only: the field names to collect (nil: every field found).
    ///   - digest: hashes the file's bytes as they are read.
    ///   - mayMap: CSV only: the caller writes into no record's bytes (it has no identity number to
    ///     blank), so that a plain UTF-8 file may be mapped into memory and read where it lies
    ///     (see `MappedFile`) instead of copied out of the page cache.
    public static func open(
        path: String, format: InputFormat, encoding: TextEncoding, dialect: CSVDialect = CSVDialect(),
        recordElement: String? = nil, fields: [String]? = nil, digest: InputDigest? = nil, mayMap: Bool = false
    ) throws -> any RecordReader {
        switch format {
        case .csv:
            if mayMap, encoding != .gb18030, let file = MappedFile(path: path, digest: digest),
                isPlainUTF8(file, encoding)
            {
                return try CSVReader(mapped: file, name: path, dialect: dialect)
            }
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

    /// Whether a mapped file (declared UTF-8 or `.auto`) is read as it lies: not gzip, and UTF-8
    /// (as `InputFile.open` decides for `.auto`).
    private static func isPlainUTF8(_ file: MappedFile, _ encoding: TextEncoding) -> Bool {
        let bytes = UnsafeRawBufferPointer(file.bytes)
        if bytes.starts(with: InputFile.gzipMagic) { return false }
        return encoding == .utf8
            || InputFile.detectEncoding(UnsafeRawBufferPointer(rebasing: bytes.prefix(InputFile.encodingSample)))
                == .utf8
    }
}
