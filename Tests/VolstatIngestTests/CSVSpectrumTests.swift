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

    @Test("reads as the expected JSON", arguments: cases, [1 << 20, 64])
    func conforms(name: String, bufferSize: Int) throws {
        let base = RepositoryPaths.csvSpectrum
        let input = [UInt8](try Data(contentsOf: base.appendingPathComponent("csvs/\(name).csv")))
        let expectedData = try Data(contentsOf: base.appendingPathComponent("json/\(name).json"))
        let expected = try #require(try JSONSerialization.jsonObject(with: expectedData) as? [[String: String]])
        let result = try readCSV(input, bufferSize: bufferSize)
        #expect(result.problems.isEmpty)
        let actual = result.rows.map { row in
            Dictionary(uniqueKeysWithValues: zip(result.header, row))
        }
        #expect(actual == expected)
    }
}
