import Foundation

/// Every error LSTMKit throws for a user mistake or an interrupted loop.
///
/// Each case carries a message that names what was expected and what was given, e.g.
/// `LSTM 'lstm' expects input of shape (None, 3, 2), got (5, 3, 4)`.
public enum LSTMKitError: Error, Equatable {
    /// A tensor or weight had the wrong shape.
    case shapeMismatch(String)
    /// An argument was out of range or otherwise unusable (unknown activation, negative units, …).
    case invalidArgument(String)
    /// `fit`/`evaluate`/`trainOnBatch` was called before `compile`.
    case notCompiled(String)
    /// A data set or a batch had no samples.
    case emptyData(String)
    /// A training, evaluation or prediction loop stopped because an interrupt was requested.
    case interrupted(String)
    /// The loss became NaN or infinite.
    case nanLoss(String)
    /// Reading or writing a file failed.
    case io(String)
    /// A model graph could not be built (disconnected inputs, unbuilt layer, …).
    case graph(String)

    /// The message without the case name.
    public var message: String {
        switch self {
        case .shapeMismatch(let m), .invalidArgument(let m), .notCompiled(let m), .emptyData(let m),
             .interrupted(let m), .nanLoss(let m), .io(let m), .graph(let m):
            return m
        }
    }
}

extension LSTMKitError: CustomStringConvertible {
    /// `LSTMKitError.shapeMismatch: <message>`, the form a notebook shows.
    public var description: String {
        let kind: String
        switch self {
        case .shapeMismatch: kind = "shapeMismatch"
        case .invalidArgument: kind = "invalidArgument"
        case .notCompiled: kind = "notCompiled"
        case .emptyData: kind = "emptyData"
        case .interrupted: kind = "interrupted"
        case .nanLoss: kind = "nanLoss"
        case .io: kind = "io"
        case .graph: kind = "graph"
        }
        return "LSTMKitError.\(kind): \(message)"
    }
}

extension LSTMKitError: LocalizedError {
    /// The message, so `error.localizedDescription` is useful too.
    public var errorDescription: String? { message }
}

/// Formats a shape the way Keras prints it: `(None, 3, 2)`, `(5,)`, `()`.
public func formatShape(_ shape: [Int?]) -> String {
    let parts = shape.map { $0.map(String.init) ?? "None" }
    if parts.count == 1 { return "(\(parts[0]),)" }
    return "(" + parts.joined(separator: ", ") + ")"
}

/// Formats a concrete shape the way Keras prints it: `(5, 3, 2)`.
public func formatShape(_ shape: [Int]) -> String {
    formatShape(shape.map { Optional($0) })
}
