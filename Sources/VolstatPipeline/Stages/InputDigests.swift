import Foundation
import VolstatCore
import VolstatPublish

/// The SHA-256 of a run's input files, computed on a thread of its own while the files are read,
/// so that hashing costs no time of its own when the run does not need the digests up front
/// (a forced run, or one with nothing to reuse). `wait()` returns them once all are done.
///
/// A file that cannot be hashed does not fail the run by itself: whether it is readable is the
/// reader's call (`file.unreadable`), and its digest is recorded as `unreadable`, which matches
/// no earlier run. `cancel()` stops the thread (a run that fails early leaves nothing behind).
final class InputDigests: @unchecked Sendable {
    /// What the ledger holds as the inputs' digest until the digests are known.
    static let pending = "pending"
    /// The digest of a file that could not be hashed.
    static let unreadable = "unreadable"

    private let condition = NSCondition()
    private var digests: [String]?
    private var cancelled = false

    /// Starts hashing `paths` in order.
    init(paths: [String]) {
        let thread = Thread { [self] in
            var digests: [String] = []
            for path in paths {
                do {
                    digests.append(try Digest.sha256(file: path, stop: { self.isCancelled }).digest)
                } catch is CancellationError {
                    return
                } catch {
                    digests.append(Self.unreadable)
                }
            }
            finish(digests)
        }
        thread.start()
    }

    private var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    private func finish(_ value: [String]) {
        condition.lock()
        digests = value
        condition.broadcast()
        condition.unlock()
    }

    /// Stops hashing at the next MiB.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.unlock()
    }

    /// The digests, in the order of the paths.
    func wait() -> [String] {
        condition.lock()
        defer { condition.unlock() }
        while digests == nil { condition.wait() }
        return digests!
    }
}
