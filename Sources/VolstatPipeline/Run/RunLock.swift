import Foundation
import VolstatCore

#if canImport(Glibc)
    import Glibc
#endif

/// One run of a pipeline at a time: an exclusive `flock` on `OUT/NAME/.lock`, held for the whole
/// run. The kernel releases it when the process ends, however it ends, so a lock left by a dead
/// process is simply taken over by the next run.
final class RunLock {
    private let descriptor: Int32
    let path: String

    /// Takes the lock, or throws `RunLockError` naming the process that holds it.
    init(folder: URL, pipeline: String) throws {
        try? DurableFiles.makeFolder(folder)
        path = folder.appendingPathComponent(".lock").path
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw OutputError("cannot create the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(
                in: .whitespacesAndNewlines)
            close(descriptor)
            throw RunLockError(pipeline: pipeline, holder: holder ?? "", path: path)
        }
        let note = "pid \(getpid()), started \(Date())\n"
        ftruncate(descriptor, 0)
        _ = note.withCString { write(descriptor, $0, strlen($0)) }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

/// Another run of the same pipeline holds the lock.
struct RunLockError: VolstatFailure {
    var pipeline: String
    var holder: String
    var path: String
    var kind: FailureKind { .output }
    var message: String {
        "pipeline '\(pipeline)' is already running (\(holder.isEmpty ? "another process" : holder)); "
            + "this run stops without touching its report. The lock is \(path); it frees itself when that process ends."
    }
}
