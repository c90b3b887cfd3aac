import VolstatCompression
public import VolstatCore

/// The file formats volstat reads.
public enum InputFormat: String, Sendable, CaseIterable {
    case csv
    case xml

    /// Guesses the format from the file name (`.csv`, `.tsv`, `.xml`, each optionally `.gz`).
    public static func guess(path: String) -> InputFormat? {
        var name = path.lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        if name.hasSuffix(".csv") || name.hasSuffix(".tsv") || name.hasSuffix(".txt") { return .csv }
        if name.hasSuffix(".xml") { return .xml }
        return nil
    }
}

/// Opens an export as a stream of UTF-8 bytes: gzip is recognised by its magic bytes and
/// decompressed as it is read, and GB18030 is transcoded, so the readers above see plain UTF-8.
public enum InputFile {
    /// The first two bytes of a gzip file.
    static let gzipMagic: [UInt8] = [0x1F, 0x8B]

    /// Row estimates assume at most one row per this many bytes, so that a file whose first rows
    /// are unusually short does not size the tables for far more rows than it can hold.
    static let minimumBytesPerRow = 16

    /// The rows of a plain CSV file of `bytes` bytes, estimated from the line breaks after the
    /// header in its first 64 KiB (counted when the whole file fits in them, blank lines and line
    /// breaks inside quotes included), for sizing tables before the file is read; nil for a gzip
    /// file, or a larger file whose first 64 KiB hold no row after the header.
    public static func estimatedRows(path: String, bytes: Int) -> Int? {
        guard bytes > 0, let file = try? FileByteSource(path: path),
            let sample = try? PrefixedSource.readPrefix(of: file, count: min(bytes, 1 << 16)), !sample.isEmpty
        else { return nil }
        let count = sample.count
        if sample.starts(with: gzipMagic) { return nil }
        guard let headerEnd = sample.firstIndex(of: 0x0A) else { return nil }
        let rows = sample[(headerEnd + 1)...].reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
        if count == bytes {
            // The whole file: its rows, and one more for a last line without a line break.
            return rows + (sample.last == 0x0A ? 0 : 1)
        }
        guard rows > 0, let lastBreak = sample.lastIndex(of: 0x0A), lastBreak > headerEnd else { return nil }
        let bytesPerRow = Double(lastBreak - headerEnd) / Double(rows)
        return min(Int(Double(bytes - headerEnd - 1) / bytesPerRow), bytes / minimumBytesPerRow)
    }

    /// How many of an input's first bytes `.auto` reads to tell its encoding.
    static let encodingSample = 1 << 16

    /// The encoding `.auto` takes for an input that starts with `prefix`: its first
    /// `encodingSample` bytes, or all of it when it is shorter.
    static func detectEncoding(_ prefix: UnsafeRawBufferPointer) -> TextEncoding {
        TextEncoding.detect(prefix, isWholeInput: prefix.count < encodingSample)
    }

    /// What was found out while opening a file.
    public struct Opened {
        public var source: any ByteSource
        public var encoding: TextEncoding
        public var compressed: Bool
    }

    /// Opens `path` for reading as UTF-8.
    ///
    /// - Parameters:
    ///   - encoding: `.auto` sniffs the first 64 KiB (after decompression).
    ///   - transcode: convert GB18030 to UTF-8 here; XML passes false, because libxml2 reads the
    ///     encoding from the document's own declaration.
    ///   - digest: hashes the file's bytes as they are read.
    public static func open(
        path: String, encoding: TextEncoding, transcode: Bool = true, digest: InputDigest? = nil
    ) throws -> Opened {
        let opened = try FileByteSource(path: path)
        let file: any ByteSource = digest.map { HashingByteSource(opened, digest: $0) } ?? opened
        let magic = try PrefixedSource.readPrefix(of: file, count: 2)
        var source: any ByteSource = PrefixedSource(prefix: magic, source: file)
        let compressed = magic == gzipMagic
        if compressed { source = try GzipReader(source: source, name: path) }
        var resolved = encoding
        if encoding == .auto && transcode {
            let sample = try PrefixedSource.readPrefix(of: source, count: encodingSample)
            resolved = sample.withUnsafeBytes(detectEncoding)
            source = PrefixedSource(prefix: sample, source: source)
        }
        if resolved == .gb18030 && transcode { source = try TranscodingSource(source: source, name: path) }
        return Opened(source: source, encoding: resolved, compressed: compressed)
    }
}
