import Foundation

/// The day of the run, in China Standard Time (UTC+8), which dates "in the future" are judged
/// against. `VOLSTAT_TODAY=YYYY-MM-DD` fixes it, for reproducible tests.
public enum Today {
    public static func date() -> CivilDate {
        if let fixed = ProcessInfo.processInfo.environment["VOLSTAT_TODAY"], let date = CivilDate(fixed) {
            return date
        }
        let seconds = Int64(Date().timeIntervalSince1970) + 8 * 3600
        return Timestamp(secondsSinceEpoch: seconds).date
    }
}
