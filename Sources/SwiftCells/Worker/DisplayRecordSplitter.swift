import Foundation

/// Separates display records from a cell's stdout text.
///
/// The worker's display descriptor (`SWIFT_LSTM_DISPLAY_FD`) writes into the same pipe as its stdout, so
/// prints and displays arrive in exactly the order the cell made them (two pipes cannot be merged in order
/// by a reader). A record is one line of compact JSON, so it starts with `{"`; text around it is stdout.
/// A candidate that is not a JSON object with a display `msg_type` stays text (`isDisplayRecord`).
public struct DisplayRecordSplitter: Sendable {
    /// One piece of the stream, in order.
    public enum Piece: Equatable, Sendable {
        case text(String)
        case record(String)
    }

    static let marker = "{\""
    private var pending = ""

    public init() {}

    /// Feeds stdout text; returns the pieces that are complete. Text that might be the start of a record
    /// is held until its line ends.
    public mutating func feed(_ text: String) -> [Piece] {
        pending += text
        var pieces: [Piece] = []
        while !pending.isEmpty {
            if let start = pending.firstRange(of: Self.marker) {
                let before = String(pending[..<start.lowerBound])
                if !before.isEmpty { pieces.append(.text(before)) }
                guard let end = pending[start.lowerBound...].firstIndex(of: "\n") else {
                    pending = String(pending[start.lowerBound...])
                    return pieces
                }
                pieces.append(.record(String(pending[start.lowerBound..<end])))
                pending = String(pending[pending.index(after: end)...])
            } else {
                // Keep a tail that could grow into the marker; publish the rest.
                let keep = Self.longestMarkerPrefixSuffix(pending)
                let cut = pending.index(pending.endIndex, offsetBy: -keep)
                let ready = String(pending[..<cut])
                if !ready.isEmpty { pieces.append(.text(ready)) }
                pending = String(pending[cut...])
                return pieces
            }
        }
        return pieces
    }

    /// Everything held, as text (the cell ended, or output went quiet and a held `{` was just text).
    public mutating func flush() -> [Piece] {
        // A record whose newline has not arrived yet: keep waiting for it (`finish` ends the wait).
        if pending.hasPrefix(Self.marker) { return [] }
        defer { pending = "" }
        return pending.isEmpty ? [] : [.text(pending)]
    }

    /// Ends the stream: whatever is held is published as text.
    public mutating func finish() -> [Piece] {
        defer { pending = "" }
        return pending.isEmpty ? [] : [.text(pending)]
    }

    /// Whether a candidate line is a display record (a JSON object whose `msg_type` is one of the four
    /// display kinds or a comm message: `comm_open`, `comm_msg`, `comm_close`; or a widget handler's
    /// `stream` / `error` tagged with the `comm_id` whose cell it belongs to).
    public static func isDisplayRecord(_ json: String) -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let type = object["msg_type"] as? String else { return false }
        if ["stream", "error"].contains(type), object["comm_id"] is String { return true }
        return ["display_data", "update_display_data", "clear_output", "execute_result", "comm_open", "comm_msg",
                "comm_close"].contains(type)
    }

    /// The length of the longest suffix of `text` that is a proper prefix of the marker.
    static func longestMarkerPrefixSuffix(_ text: String) -> Int {
        let chars = Array(text.suffix(marker.count - 1))
        let markerChars = Array(marker)
        var length = chars.count
        while length > 0 {
            if Array(chars.suffix(length)) == Array(markerChars.prefix(length)) { return length }
            length -= 1
        }
        return 0
    }
}
