import SwiftCells

/// A live one-line status for a build: each line of output replaces the last (`\r`, as fit's progress
/// does), at most five times a second.
final class InstallProgress {
    private let publish: (String) -> Void
    private var partial = ""
    private var latest = ""
    private var shown = ""
    private var lastPublished = 0.0
    private let label: String

    init(label: String, publish: @escaping (String) -> Void) {
        self.label = label
        self.publish = publish
    }

    func feed(_ text: String) {
        partial += text
        while let newline = partial.firstIndex(where: { $0 == "\n" || $0 == "\r" }) {
            let line = String(partial[..<newline]).trimmingCharacters()
            partial = String(partial[partial.index(after: newline)...])
            if !line.isEmpty { latest = line }
        }
        let now = Clock.now()
        if latest != shown && now - lastPublished >= 0.2 {
            lastPublished = now
            show("\(label): \(latest)", end: "")
        }
    }

    /// Replaces the status with `text` and ends the line.
    func finish(_ text: String) { show(text, end: "\n") }

    private func show(_ text: String, end: String) {
        let line = text.count > 110 ? String(text.prefix(107)) + "…" : text
        let padding = String(repeating: " ", count: max(0, shown.count - line.count))
        shown = line
        publish("\r" + line + padding + end)
    }
}
