import Foundation
import Testing
import VolstatCore

@Suite("durable files")
struct DurableFilesTests {
    @Test("writes files in new folders, replaces an existing one, and names a file it cannot write")
    func writesAndReplaces() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("volstat-durable-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = folder.appendingPathComponent("tables/a.csv")
        let second = folder.appendingPathComponent("b.json")
        try DurableFiles.write([(first, Array("one,two\n".utf8)), (second, Array(repeating: 7, count: 200_000))])
        #expect(try Data(contentsOf: first) == Data("one,two\n".utf8))
        #expect(try Data(contentsOf: second).count == 200_000)
        try DurableFiles.write([(first, Array("x\n".utf8))])
        #expect(try Data(contentsOf: first) == Data("x\n".utf8))
        // A file where a folder would have to be.
        let blocked = first.appendingPathComponent("inside.csv")
        #expect(throws: OutputError.self) { try DurableFiles.write([(blocked, [1])]) }
    }
}
