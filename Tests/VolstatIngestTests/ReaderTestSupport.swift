import VolstatCore
import VolstatIngest

/// Reads every record of a CSV held in memory: the values as strings, or the problem's rule code.
func readCSV(
    _ bytes: [UInt8], dialect: CSVDialect = CSVDialect(), bufferSize: Int = 1 << 20
) throws -> (header: [String], rows: [[String]], problems: [(line: Int, code: String)]) {
    try readCSV(
        CSVReader(source: MemoryByteSource(bytes), name: "test.csv", dialect: dialect, bufferSize: bufferSize))
}

/// Reads every record of `reader`: the values as strings, or the problem's rule code.
func readCSV(
    _ reader: CSVReader
) throws -> (
    header: [String], rows: [[String]], problems: [(line: Int, code: String)]
) {
    var rows: [[String]] = []
    var problems: [(Int, String)] = []
    while try reader.next() {
        if let problem = reader.problem {
            problems.append((reader.line, problem.ruleCode))
            continue
        }
        rows.append(reader.presentSlots.map { String(decoding: reader.value(at: $0)!, as: UTF8.self) })
    }
    return (reader.fieldNames, rows, problems)
}

func readCSV(
    _ text: String, dialect: CSVDialect = CSVDialect(), bufferSize: Int = 1 << 20
) throws -> (
    header: [String], rows: [[String]], problems: [(line: Int, code: String)]
) {
    try readCSV(Array(text.utf8), dialect: dialect, bufferSize: bufferSize)
}

/// Reads every record of an XML document held in memory as name -> value dictionaries.
func readXML(_ text: String, record: String? = "record", fields: [String]? = nil) throws -> [[String: String]] {
    let reader = try XMLRecordReader(
        source: MemoryByteSource(Array(text.utf8)), name: "test.xml", recordElement: record, fields: fields)
    var records: [[String: String]] = []
    while try reader.next() {
        var values: [String: String] = [:]
        for slot in reader.presentSlots {
            values[reader.fieldNames[slot]] = String(decoding: reader.value(at: slot)!, as: UTF8.self)
        }
        records.append(values)
    }
    return records
}
