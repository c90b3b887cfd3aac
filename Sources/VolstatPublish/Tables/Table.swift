import Dispatch
import VolstatCompression
import VolstatCore

/// A published table: a stable name, its columns with units and definitions, and its rows as
/// text already formatted (exact decimals, empty where undefined).
public struct Table: Sendable {
    /// One column of a table and what it means.
    public struct Column: Sendable {
        public var name: String
        /// `string`, `integer` or `number` (Frictionless Table Schema types).
        public var type: String
        public var unit: String?
        public var definition: String

        public init(_ name: String, _ type: String, unit: String? = nil, _ definition: String) {
            self.name = name
            self.type = type
            self.unit = unit
            self.definition = definition
        }
    }

    /// The file name without extension, e.g. `by_region`.
    public var name: String
    public var title: String
    public var columns: [Column]
    public var rows: [[String]]

    public init(name: String, title: String, columns: [Column], rows: [[String]]) {
        self.name = name
        self.title = title
        self.columns = columns
        self.rows = rows
    }

    /// The table as UTF-8 CSV with a header row and LF line ends (no byte-order mark, so that
    /// pandas, R and DuckDB read the first column name as it is).
    public var csv: String {
        var text = columns.map(\.name).joined(separator: ",") + "\n"
        for row in rows { text += row.map(Self.quote).joined(separator: ",") + "\n" }
        return text
    }

    /// The CSV compressed with deterministic gzip (`tables/NAME.csv.gz`), at zlib's default
    /// level: level 9 took 1.4 times as long on the larger tables for files 0.4 % smaller.
    public func gzip() throws -> [UInt8] {
        try GzipWriter.compress(Array(csv.utf8))
    }

    /// Each table's `gzip()`, compressed side by side on the machine's cores, in the tables' order.
    public static func gzip(_ tables: [Table]) throws -> [[UInt8]] {
        let results = ConcurrentResults<[UInt8]>(count: tables.count)
        DispatchQueue.concurrentPerform(iterations: tables.count) { index in
            results.set(index, Result { try tables[index].gzip() })
        }
        return try results.values()
    }

    static func quote(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
