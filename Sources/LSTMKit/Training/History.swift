/// Named values reported after a batch, an epoch or an evaluation, in Keras's order
/// (`loss`, metrics, then `val_loss`, `val_` metrics).
public struct TrainingLogs: Equatable, Sendable, CustomStringConvertible {
    /// The (name, value) pairs in report order.
    public private(set) var entries: [Entry]

    /// One named value.
    public struct Entry: Equatable, Sendable {
        /// Key such as `loss`, `mae`, `val_loss`.
        public var name: String
        /// The value (a mean over samples).
        public var value: Float
    }

    /// Logs with the given entries.
    public init(_ entries: [Entry] = []) { self.entries = entries }

    /// The value named `name`, if present.
    public subscript(_ name: String) -> Float? { entries.first { $0.name == name }?.value }

    /// The `loss` entry (NaN if absent).
    public var loss: Float { self["loss"] ?? .nan }

    /// Keys in order.
    public var names: [String] { entries.map(\.name) }

    /// Appends or replaces `name`.
    public mutating func set(_ name: String, _ value: Float) {
        if let i = entries.firstIndex(where: { $0.name == name }) { entries[i].value = value } else {
            entries.append(Entry(name: name, value: value))
        }
    }

    /// Appends every entry of `other` with `prefix` before its name (e.g. `val_`).
    public mutating func append(_ other: TrainingLogs, prefix: String = "") {
        for e in other.entries { set(prefix + e.name, e.value) }
    }

    /// `loss: 0.3616 - mae: 0.5291`, formatted like Keras's progress bar.
    public var description: String {
        entries.map { "\($0.name): \(TrainingLogs.format($0.value))" }.joined(separator: " - ")
    }

    /// Keras's number format in progress lines: 4 decimals, or scientific below 1e-3.
    public static func format(_ v: Float) -> String {
        if v.isNaN { return "nan" }
        if Swift.abs(v) > 1e-3 { return String(format: "%.4f", Double(v)) }
        return String(format: "%.4e", Double(v))
    }
}

/// What `fit` returns: the per-epoch values of the loss and metrics (Keras's `History`).
///
/// `history["loss"]` is the list of epoch losses; keys are `loss`, metric names, `val_loss`,
/// `val_<metric>` when there is validation data. NotebookDisplay shows it as a loss plot.
public struct History: Equatable, Sendable {
    /// Keys in first-seen order.
    public private(set) var keys: [String] = []
    /// Values per key, one per completed epoch.
    public private(set) var values: [String: [Float]] = [:]
    /// The 0-based indices of the completed epochs (Keras's `history.epoch`).
    public private(set) var epochs: [Int] = []

    /// An empty history.
    public init() {}

    /// The values of `key` per epoch, or nil if the key was never reported.
    public subscript(_ key: String) -> [Float]? { values[key] }

    /// The history as a dictionary, like Keras's `history.history`.
    public var history: [String: [Float]] { values }

    /// Records one finished epoch.
    public mutating func record(epoch: Int, logs: TrainingLogs) {
        epochs.append(epoch)
        for e in logs.entries {
            if values[e.name] == nil { keys.append(e.name) }
            values[e.name, default: []].append(e.value)
        }
    }
}
