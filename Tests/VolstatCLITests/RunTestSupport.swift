import Foundation
import Testing
import VolstatCompression
import VolstatTestSupport

/// The key the end-to-end tests pseudonymise with.
let testKey = ["VOLSTAT_KEY": "end-to-end-test-key-0123456789", "VOLSTAT_TODAY": "2026-11-23"]

/// Valid 18-character identity numbers: region, birth date, sequence and the right check character.
func identityNumber(region: String = "360102", born: String = "19900101", sequence: Int) -> String {
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    let body = region + born + String(format: "%03d", sequence % 1000)
    let sum = zip(body, weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
    return body + String(Array("10X98765432")[sum % 11])
}

/// Reads a gzip file of the report as text.
func gunzipText(_ url: URL) throws -> String {
    String(decoding: try Gunzip.decompress([UInt8](try Data(contentsOf: url))), as: UTF8.self)
}

/// A table computed by the independent reference implementation (`Tests/Reference/reference_stats.py`,
/// Python with PyYAML, which `scripts/bootstrap` installs) from the same pipeline file.
func referenceTable(pipeline: String, asOf: String, table: String = "by_region") throws -> String {
    let result = try command(
        URL(fileURLWithPath: "/usr/bin/env"),
        [
            "python3", RepositoryPaths.root.appendingPathComponent("Tests/Reference/reference_stats.py").path, pipeline,
            "--as-of", asOf, "--table", table,
        ])
    guard result.status == 0 else {
        throw ReferenceFailure(
            message: "reference_stats.py \(pipeline) --table \(table) failed: \(result.standardError)")
    }
    return result.standardOutput
}

/// The reference implementation could not compute a table.
struct ReferenceFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Every file under a folder, by relative path, with its bytes.
func filesUnder(_ folder: URL) throws -> [String: Data] {
    var files: [String: Data] = [:]
    let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
    while let url = enumerator?.nextObject() as? URL {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue {
            files[String(url.path.dropFirst(folder.path.count + 1))] = try Data(contentsOf: url)
        }
    }
    return files
}
