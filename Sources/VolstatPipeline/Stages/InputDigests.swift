import Foundation
import VolstatCore
import VolstatPublish

/// The SHA-256 of a run's input files, computed on a thread of its own while the files are read,
/// so that hashing costs no time of its own when the run does not need the digests up front
/// (a forced run, or one with nothing to reuse). `wait()` returns them once all are done.
final class InputDigests: @unchecked Sendable {
    /// What the ledger holds as the inputs' digest until the digests are known.
    static let pending = "pending"

    private let condition = NSCondition()
    private var result: Result<[String], InputError>?

    /// Starts hashing `paths` in order.
    init(paths: [String]) {
        let thread = Thread { [self] in
            var digests: [String] = []
            for path in paths {
                do {
                    digests.append(try Digest.sha256(file: path).digest)
                } catch {
                    finish(.failure(InputError("\(path): cannot read: \(error.localizedDescription)")))
                    return
                }
            }
            finish(.success(digests))
        }
        thread.start()
    }

    private func finish(_ value: Result<[String], InputError>) {
        condition.lock()
        result = value
        condition.broadcast()
        condition.unlock()
    }

    /// The digests, in the order of the paths; throws `InputError` if a file could not be read.
    func wait() throws -> [String] {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        return try result!.get()
    }
}
