import Foundation

/// ISO-8601 timestamps as Jupyter headers carry them: UTC, microseconds, `Z` suffix,
/// e.g. `2026-11-24T01:18:30.123456Z` (what jupyter_client's `date` parser and nbformat expect).
public enum Timestamp {
    /// Formats `date` in UTC with six fractional digits.
    public static func iso8601(_ date: Date = Date()) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = time_t(interval.rounded(.down))
        var micros = Int(((interval - Double(seconds)) * 1_000_000).rounded())
        if micros >= 1_000_000 {  // rounding carried into the next second
            micros -= 1_000_000
            seconds += 1
        }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), micros)
    }
}
