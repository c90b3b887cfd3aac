import Foundation
import Testing
import VolstatCore
import VolstatIngest
import VolstatTestSupport

/// Every case of the csv-spectrum conformance suite must read as its expected JSON.
@Suite("csv-spectrum conformance")
struct CSVSpectrumTests {
    static let cases: [String] = {
        let folder = RepositoryPaths.csvSpectrum.appendingPathComponent("csvs")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".csv") }.map { String($0.dropLast(4)) }.sorted()
    }()

    @Test("the suite is present beside the repository")
    func suiteIsPresent() {
        #expect(Self.cases.count >= 11, "expected the csv-spectrum suite at \(RepositoryPaths.csvSpectrum.path)")
    }

    /// The path of a case's CSV file.
    static func input(_ name: String) -> String {
        RepositoryPaths.csvSpectrum.appendingPathComponent("csvs/\(name).csv").path
    }

    /// A case's expected rows, from its JSON file.
    static func expected(_ name: String) throws -> [[String: String]] {
        let data = try Data(contentsOf: RepositoryPaths.csvSpectrum.appendingPathComponent("json/\(name).json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [[String: String]])
    }

    @Test("reads as the expected JSON", arguments: cases, [1 << 20, 64])
    func conforms(name: String, bufferSize: Int) throws {
        let input = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.input(name))))
        let expected = try Self.expected(name)
        let result = try readCSV(input, bufferSize: bufferSize)
        #expect(result.problems.isEmpty)
        let actual = result.rows.map { row in
            Dictionary(uniqueKeysWithValues: zip(result.header, row))
        }
        #expect(actual == expected)
    }
}
