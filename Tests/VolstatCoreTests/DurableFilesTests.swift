import Foundation
import Testing

@testable import VolstatCore

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

    @Test("folders are made one level at a time; the folders above those made are the ones to flush")
    func makesFolders() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("volstat-durable-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let paths = { (folders: [URL]) in folders.map(\.path) }
        let deep = root.appendingPathComponent("a/b/c")
        #expect(
            try paths(DurableFiles.makeFolderWithoutFlushing(deep)) == [
                root.path, root.path + "/a", root.path + "/a/b",
            ])
        #expect(try paths(DurableFiles.makeFolderWithoutFlushing(deep)) == [])
        // `..` is left to the kernel, as `mkdir -p` does: the folder before it is made (a walk
        // that resolved it in the text made only root/y, and a file opened through the path
        // then failed).
        let back = root.appendingPathComponent("x/../y")
        let standardized = { (folders: [URL]) in folders.map(\.standardizedFileURL.path) }
        #expect(try standardized(DurableFiles.makeFolderWithoutFlushing(back)) == [root.path, root.path])
        #expect(FileManager.default.fileExists(atPath: root.path + "/x"))
        #expect(FileManager.default.fileExists(atPath: root.path + "/y"))
        try DurableFiles.write([(root.appendingPathComponent("p/../q/f.csv"), [0x66])])
        #expect(try Data(contentsOf: root.appendingPathComponent("q/f.csv")) == Data([0x66]))
        #expect(FileManager.default.fileExists(atPath: root.path + "/p"))
        try DurableFiles.makeFolder(root.appendingPathComponent("y/z"))
        #expect(FileManager.default.fileExists(atPath: root.path + "/y/z"))
        // A file where a folder should be.
        try Data("f".utf8).write(to: root.appendingPathComponent("file"))
        do {
            try DurableFiles.makeFolder(root.appendingPathComponent("file/below"))
            Issue.record("a folder was made below a file")
        } catch let error as OutputError {
            #expect(error.message.contains(root.path + "/file is a file, not a folder"))
        }
    }

    @Test("folders made on the way are written and flushed; a folder that is not there is named")
    func flushesFolders() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("volstat-durable-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let deep = folder.appendingPathComponent("a/b/c/d.csv")
        try DurableFiles.write([(deep, Array("d\n".utf8)), (folder.appendingPathComponent("a/e.csv"), [0x65])])
        #expect(try Data(contentsOf: deep) == Data("d\n".utf8))
        try DurableFiles.syncFolder(folder.appendingPathComponent("a/b"))
        let missing = folder.appendingPathComponent("missing")
        do {
            try DurableFiles.syncFolder(missing)
            Issue.record("flushing a missing folder did not fail")
        } catch let error as OutputError {
            #expect(error.message.contains(missing.path))
            #expect(error.message.contains("No such file or directory"))
        }
        // A file is not a folder.
        #expect(throws: OutputError.self) { try DurableFiles.syncFolder(deep) }
    }
}
