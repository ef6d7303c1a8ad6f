import Foundation

/// A training loss, computed the way Keras 3 computes it with its default reduction
/// ("sum_over_batch_size"): a per-element loss reduced over the last axis, then the mean over every
/// remaining element (samples, and timesteps for sequence outputs).
///
/// Values are accumulated in Double; Keras accumulates in Float32, so results agree to ~1e-7 relative.
public enum Loss: String, Codable, CaseIterable, Sendable {
    /// Mean squared error: `mean((ŷ − y)²)`.
    case meanSquaredError = "mean_squared_error"
    /// Mean absolute error: `mean(|ŷ − y|)`.
    case meanAbsoluteError = "mean_absolute_error"
    /// Binary cross-entropy on probabilities, clipped to [1e-7, 1 − 1e-7] like Keras.
    case binaryCrossentropy = "binary_crossentropy"
    /// Categorical cross-entropy on probability rows (each row is divided by its sum first, like Keras).
    case categoricalCrossentropy = "categorical_crossentropy"
    /// Categorical cross-entropy with integer class labels (stored as Float) instead of one-hot rows.
    case sparseCategoricalCrossentropy = "sparse_categorical_crossentropy"

    /// Short alias of `meanSquaredError`, as in `loss: .mse`.
    public static let mse = Loss.meanSquaredError
    /// Short alias of `meanAbsoluteError`, as in `loss: .mae`.
    public static let mae = Loss.meanAbsoluteError

    /// Keras's fuzz factor: probabilities are clipped to [epsilon, 1 − epsilon] before the log.
    public static let epsilon: Float = 1e-7

    /// The loss named like Keras (`"mse"`, `"mean_squared_error"`, `"binary_crossentropy"`, …).
    public init(name: String) throws {
        let key = name.lowercased()
        let aliases: [String: Loss] = [
            "mse": .meanSquaredError, "mae": .meanAbsoluteError, "bce": .binaryCrossentropy,
            "meansquarederror": .meanSquaredError, "meanabsoluteerror": .meanAbsoluteError,
            "binarycrossentropy": .binaryCrossentropy, "categoricalcrossentropy": .categoricalCrossentropy,
            "sparsecategoricalcrossentropy": .sparseCategoricalCrossentropy,
        ]
        if let loss = Loss(rawValue: key) ?? aliases[key] {
            self = loss
            return
        }
        throw LSTMKitError.invalidArgument(
            "unknown loss '\(name)'; expected one of \(Loss.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")) (or 'mse', 'mae')")
    }

    /// The value and its gradient with respect to `predictions` (same shape as `predictions`).
    ///
    /// `targets` has the shape of `predictions`, except for `sparseCategoricalCrossentropy` where it has
    /// the shape of `predictions` without its last axis (or with a last axis of 1).
    ///
    /// `mask` (one value per row of the last axis, e.g. (B, T) for (B, T, F) predictions, 1 = real step)
    /// makes padded steps count zero, as Keras does: the loss becomes Σ rowLoss·mask / (Σ mask + 1e-7).
    public func valueAndGradient(targets: Tensor, predictions: Tensor, mask: Tensor? = nil) throws -> (value: Float, gradient: Tensor) {
        try checkShapes(targets: targets, predictions: predictions)
        let y = targets.scalars
        let p = predictions.scalars
        let width = Swift.max(predictions.shape.last ?? 1, 1)
        let rows = predictions.rank == 0 ? 1 : p.count / width
        var weights = [Float](repeating: 1 / Float(Swift.max(rows, 1)), count: rows)
        if let mask {
            guard mask.count == rows else {
                throw LSTMKitError.shapeMismatch(
                    "\(rawValue) expects a mask with one value per step (\(rows) values) for predictions of shape \(formatShape(predictions.shape)), got shape \(formatShape(mask.shape))")
            }
            let valid = mask.scalars.reduce(0, +)
            weights = mask.scalars.map { $0 / (valid + Loss.epsilon) }
        }
        var grad = [Float](repeating: 0, count: p.count)
        var total = 0.0
        for r in 0..<rows where weights[r] != 0 {
            switch self {
            case .meanSquaredError, .meanAbsoluteError, .binaryCrossentropy:
                // Row loss = mean of the element losses over the last axis.
                var rowLoss = 0.0
                let scale = weights[r] / Float(width)
                for i in (r * width)..<((r + 1) * width) {
                    let (l, g) = elementwise(y[i], p[i])
                    rowLoss += Double(l)
                    grad[i] = g * scale
                }
                total += rowLoss / Double(width) * Double(weights[r])
            case .categoricalCrossentropy, .sparseCategoricalCrossentropy:
                total += crossEntropyRow(r, classes: width, targets: y, predictions: p, weight: weights[r], grad: &grad)
                    * Double(weights[r])
            }
        }
        return (Float(total), Tensor(uncheckedShape: predictions.shape, scalars: grad))
    }

    /// The loss value only.
    public func value(targets: Tensor, predictions: Tensor) throws -> Float {
        try valueAndGradient(targets: targets, predictions: predictions).value
    }

    /// Loss and d(loss)/d(prediction) of one element, before the mean (mse, mae, bce).
    private func elementwise(_ y: Float, _ p: Float) -> (Float, Float) {
        switch self {
        case .meanSquaredError:
            let d = p - y
            return (d * d, 2 * d)
        case .meanAbsoluteError:
            let d = p - y
            return (Swift.abs(d), d > 0 ? 1 : (d < 0 ? -1 : 0))
        default:
            let eps = Loss.epsilon
            let q = Swift.min(Swift.max(p, eps), 1 - eps)
            let l = -(y * Foundation.log(q) + (1 - y) * Foundation.log(1 - q))
            // The clip has zero slope outside [eps, 1 - eps], as in Keras.
            let inside = p > eps && p < 1 - eps
            return (l, inside ? (-y / q + (1 - y) / (1 - q)) : 0)
        }
    }

    /// Cross-entropy of one row of class probabilities; adds its gradient into `grad`.
    ///
    /// Keras divides the row by its sum, clips it to [eps, 1 − eps], and takes −Σ t·log(q): the gradient
    /// flows back through the clip (zero outside) and the normalisation (dp_k = (dq_k − Σ_j dq_j q_j) / s).
    private func crossEntropyRow(_ r: Int, classes: Int, targets y: [Float], predictions p: [Float],
                                 weight: Float, grad: inout [Float]) -> Double {
        let base = r * classes
        var s: Float = 0
        for k in 0..<classes { s += p[base + k] }
        let eps = Loss.epsilon
        var loss = 0.0
        var dq = [Float](repeating: 0, count: classes)
        var dot: Float = 0
        for k in 0..<classes {
            let t: Float = self == .sparseCategoricalCrossentropy ? (Int(y[r]) == k ? 1 : 0) : y[base + k]
            let q = p[base + k] / s
            let qc = Swift.min(Swift.max(q, eps), 1 - eps)
            loss -= Double(t * Foundation.log(qc))
            if q > eps && q < 1 - eps { dq[k] = -t / qc * weight }
            dot += dq[k] * q
        }
        for k in 0..<classes { grad[base + k] = (dq[k] - dot) / s }
        return loss
    }

    private func checkShapes(targets: Tensor, predictions: Tensor) throws {
        if self == .sparseCategoricalCrossentropy {
            let expected = Array(predictions.shape.dropLast())
            guard targets.shape == expected || targets.shape == expected + [1] else {
                throw LSTMKitError.shapeMismatch(
                    "\(rawValue) expects integer labels of shape \(formatShape(expected)) for predictions of shape \(formatShape(predictions.shape)), got \(formatShape(targets.shape))")
            }
            let classes = predictions.shape.last ?? 0
            if let bad = targets.scalars.first(where: { !($0 >= 0 && $0 < Float(classes)) || $0 != $0.rounded() }) {
                throw LSTMKitError.invalidArgument(
                    "\(rawValue) expects integer labels in 0..<\(classes), got \(bad)")
            }
            return
        }
        guard targets.shape == predictions.shape else {
            throw LSTMKitError.shapeMismatch(
                "\(rawValue) expects targets of shape \(formatShape(predictions.shape)) (the model's output), got \(formatShape(targets.shape))")
        }
    }
}
