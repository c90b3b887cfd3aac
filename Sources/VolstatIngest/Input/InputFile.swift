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
        let compressed = magic == [0x1F, 0x8B]
        if compressed { source = try GzipReader(source: source, name: path) }
        var resolved = encoding
        if encoding == .auto && transcode {
            let sampleSize = 1 << 16
            let sample = try PrefixedSource.readPrefix(of: source, count: sampleSize)
            resolved = sample.withUnsafeBytes {
                TextEncoding.detect($0, isWholeInput: sample.count < sampleSize)
            }
            source = PrefixedSource(prefix: sample, source: source)
        }
        if resolved == .gb18030 && transcode { source = try TranscodingSource(source: source, name: path) }
        return Opened(source: source, encoding: resolved, compressed: compressed)
    }
}
