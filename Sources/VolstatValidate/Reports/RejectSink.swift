import VolstatCompression
public import VolstatCore

/// Collects every rejected row of each dataset as gzip-compressed CSV, one line per finding:
/// `file,line,column,field,rule,message,value`. Values are masked by `PrivacyFilter`; the raw
/// row is not kept, because it may hold an identity number.
public final class RejectSink {
    public static let header = "file,line,column,field,rule,message,value\n"

    private var writers: [Dataset: GzipWriter] = [:]
    public private(set) var counts: [Dataset: Int] = [:]

    public init() {}

    func write(row: any CanonicalRow, finding: Finding) {
        write(
            dataset: row.dataset,
            [
                row.file, String(row.line), finding.column ?? "", finding.field ?? "", finding.rule.code,
                PrivacyFilter.mask(finding.message), finding.value.map(PrivacyFilter.mask) ?? "",
            ])
    }

    /// Records a file that could not be read to its end: one `file.unreadable` line, after the
    /// lines of the rows it rejected before the failure.
    public func writeUnreadable(file: String, dataset: Dataset, message: String) {
        write(dataset: dataset, [file, "", "", "", Rule.fileUnreadable.code, PrivacyFilter.mask(message), ""])
    }

    private func write(dataset: Dataset, _ fields: [String]) {
        let writer: GzipWriter
        if let existing = writers[dataset] {
            writer = existing
        } else {
            // Level 6 gzip of a few bytes cannot fail short of memory exhaustion.
            writer = try! GzipWriter()
            writer.write(Self.header)
            writers[dataset] = writer
        }
        writer.write(CSVText.line(fields))
        counts[dataset, default: 0] += 1
    }

    /// The finished gzip file of each dataset that had rejects (`rejects/DATASET.csv.gz`).
    public func finish() -> [(dataset: Dataset, gzip: [UInt8])] {
        writers.keys.sorted { $0.rawValue < $1.rawValue }.map { dataset in
            (dataset, writers[dataset]!.finish())
        }
    }
}

/// RFC 4180 CSV text: a field is quoted when it holds a comma, a quote or a line break.
public enum CSVText {
    public static func field(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One record with its LF line end.
    public static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\n"
    }
}
