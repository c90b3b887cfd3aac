import Crypto
public import Foundation
import VolstatCore

/// `manifest.json`: every output file with its size and SHA-256, every input with its SHA-256,
/// and the row counts of each stage. It holds no time stamps, so that the same inputs give a
/// byte-identical manifest.
public struct Manifest: Sendable, Codable, Equatable {
    public struct FileEntry: Sendable, Codable, Equatable {
        public var path: String
        public var bytes: Int
        public var sha256: String

        public init(path: String, bytes: Int, sha256: String) {
            self.path = path
            self.bytes = bytes
            self.sha256 = sha256
        }
    }

    public struct StageCounts: Sendable, Codable, Equatable {
        public var ingest: [String: Int]
        public var validate: [String: Int]
        public var aggregate: [String: Int]
        public var publish: [String: Int]

        public init(ingest: [String: Int], validate: [String: Int], aggregate: [String: Int], publish: [String: Int]) {
            self.ingest = ingest
            self.validate = validate
            self.aggregate = aggregate
            self.publish = publish
        }
    }

    public var pipeline: String
    public var asOf: String
    public var volstatVersion: String
    public var inputs: [FileEntry]
    public var outputs: [FileEntry]
    public var rows: StageCounts

    enum CodingKeys: String, CodingKey {
        case pipeline, inputs, outputs, rows
        case asOf = "as_of"
        case volstatVersion = "volstat_version"
    }

    public init(
        pipeline: String, asOf: String, volstatVersion: String, inputs: [FileEntry], outputs: [FileEntry],
        rows: StageCounts
    ) {
        self.pipeline = pipeline
        self.asOf = asOf
        self.volstatVersion = volstatVersion
        self.inputs = inputs
        self.outputs = outputs
        self.rows = rows
    }

    /// Whether the report folder still holds exactly what this manifest lists: every output with
    /// its size and SHA-256, and no other file (the manifest itself aside).
    public func describes(folder: URL) -> Bool {
        let fileManager = FileManager.default
        var found: Set<String> = []
        if let walker = fileManager.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) {
            for case let url as URL in walker
            where (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
                found.insert(String(url.standardizedFileURL.path.dropFirst(folder.standardizedFileURL.path.count + 1)))
            }
        }
        guard found == Set(outputs.map(\.path) + ["manifest.json"]) else { return false }
        return outputs.allSatisfy { entry in
            guard let digest = try? Digest.sha256(file: folder.appendingPathComponent(entry.path).path) else {
                return false
            }
            return digest.bytes == entry.bytes && digest.digest == entry.sha256
        }
    }

    /// Pretty-printed JSON with sorted keys and a final line break.
    public func json() throws -> [UInt8] { try JSONOutput.encode(self) }
}

/// Deterministic JSON: sorted keys, two-space indentation, a final line break, no escaped slashes.
public enum JSONOutput {
    public static func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value)) + [0x0A]
    }
}

/// SHA-256 of bytes and files, as lowercase hex.
public enum Digest {
    public static func sha256(_ bytes: [UInt8]) -> String { HexText.string(SHA256.hash(data: bytes)) }

    /// Hashes a file in 1 MiB chunks; returns the digest and the size.
    public static func sha256(file path: String) throws -> (digest: String, bytes: Int) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += chunk.count
        }
        return (HexText.string(hasher.finalize()), size)
    }

}
