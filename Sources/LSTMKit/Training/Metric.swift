import Foundation

/// A metric reported during `fit`/`evaluate`, averaged over samples like Keras's mean metrics.
public enum Metric: Equatable, Sendable {
    /// Keras's `"accuracy"`: binary, categorical or sparse-categorical accuracy, chosen from the shapes
    /// of targets and predictions exactly as Keras chooses (last axis 1 → binary, labels of lower rank →
    /// sparse, else categorical). Reported under the name `accuracy`.
    case accuracy
    /// Binary accuracy: prediction > 0.5 equals the 0/1 target.
    case binaryAccuracy
    /// Categorical accuracy: argmax of prediction equals argmax of the one-hot target.
    case categoricalAccuracy
    /// Sparse categorical accuracy: argmax of prediction equals the integer label.
    case sparseCategoricalAccuracy
    /// Mean absolute error, reported as `mae`.
    case meanAbsoluteError
    /// Mean squared error, reported as `mse`.
    case meanSquaredError

    /// Short alias of `meanAbsoluteError`.
    public static let mae = Metric.meanAbsoluteError
    /// Short alias of `meanSquaredError`.
    public static let mse = Metric.meanSquaredError

    /// The metric named like Keras (`"accuracy"`, `"acc"`, `"mae"`, `"mse"`, `"binary_accuracy"`, …).
    public init(name: String) throws {
        switch name.lowercased() {
        case "accuracy", "acc": self = .accuracy
        case "binary_accuracy": self = .binaryAccuracy
        case "categorical_accuracy": self = .categoricalAccuracy
        case "sparse_categorical_accuracy": self = .sparseCategoricalAccuracy
        case "mae", "mean_absolute_error": self = .meanAbsoluteError
        case "mse", "mean_squared_error": self = .meanSquaredError
        default:
            throw LSTMKitError.invalidArgument(
                "unknown metric '\(name)'; expected one of 'accuracy', 'binary_accuracy', 'categorical_accuracy', 'sparse_categorical_accuracy', 'mae', 'mse'")
        }
    }

    /// The key under which History and progress lines report it (`accuracy`, `mae`, …).
    public var name: String {
        switch self {
        case .accuracy: return "accuracy"
        case .binaryAccuracy: return "binary_accuracy"
        case .categoricalAccuracy: return "categorical_accuracy"
        case .sparseCategoricalAccuracy: return "sparse_categorical_accuracy"
        case .meanAbsoluteError: return "mae"
        case .meanSquaredError: return "mse"
        }
    }

    /// The concrete metric `.accuracy` stands for, given the shapes (Keras's
    /// `is_binary_or_sparse_categorical`).
    func resolved(targets: [Int], predictions: [Int]) -> Metric {
        guard self == .accuracy else { return self }
        let pLast = predictions.last ?? 1
        if pLast == 1 { return .binaryAccuracy }
        if targets.count < predictions.count || ((targets.last ?? 1) == 1 && pLast > 1) {
            return .sparseCategoricalAccuracy
        }
        return .categoricalAccuracy
    }

    /// The weighted sum of the metric over a batch and the total weight, for running means.
    ///
    /// Without a mask each sample weighs 1 and its value is the mean over its rows (every axis after the
    /// first, last axis reduced first), so sum / weight over an epoch is Keras's epoch value. With a
    /// mask (one value per last-axis row, e.g. (B, T)) each row weighs its mask value, as Keras weighs
    /// metrics by the output mask.
    public func weightedSum(targets: Tensor, predictions: Tensor, mask: Tensor? = nil) throws -> (sum: Double, weight: Double) {
        let metric = resolved(targets: targets.shape, predictions: predictions.shape)
        let samples = predictions.shape.first ?? 1
        guard samples > 0, predictions.count > 0 else { return (0, 0) }
        let width = Swift.max(predictions.shape.last ?? 1, 1)
        let rows = predictions.count / width
        var rowValues = [Double](repeating: 0, count: rows)
        switch metric {
        case .binaryAccuracy, .meanAbsoluteError, .meanSquaredError:
            guard targets.count == predictions.count else {
                throw LSTMKitError.shapeMismatch(
                    "metric '\(metric.name)' expects targets of shape \(formatShape(predictions.shape)), got \(formatShape(targets.shape))")
            }
            let y = targets.scalars, p = predictions.scalars
            for r in 0..<rows {
                var acc = 0.0
                for i in (r * width)..<((r + 1) * width) {
                    switch metric {
                    case .binaryAccuracy: acc += (p[i] > 0.5 ? 1 : 0) == y[i] ? 1 : 0
                    case .meanAbsoluteError: acc += Double(Swift.abs(p[i] - y[i]))
                    default: acc += Double((p[i] - y[i]) * (p[i] - y[i]))
                    }
                }
                rowValues[r] = acc / Double(width)
            }
        case .categoricalAccuracy, .sparseCategoricalAccuracy:
            let sparse = metric == .sparseCategoricalAccuracy
            guard targets.count == (sparse ? rows : predictions.count) else {
                throw LSTMKitError.shapeMismatch(
                    "metric '\(metric.name)' expects \(sparse ? rows : predictions.count) target values for predictions of shape \(formatShape(predictions.shape)), got shape \(formatShape(targets.shape))")
            }
            if sparse, let bad = targets.scalars.first(where: { !($0 >= 0 && $0 < Float(width)) || $0 != $0.rounded() }) {
                throw LSTMKitError.invalidArgument("metric '\(metric.name)' expects integer labels in 0..<\(width), got \(bad)")
            }
            for r in 0..<rows {
                let predicted = argmax(predictions.scalars, r * width, width)
                let actual = sparse ? Int(targets.scalars[r]) : argmax(targets.scalars, r * width, width)
                rowValues[r] = predicted == actual ? 1 : 0
            }
        case .accuracy:
            preconditionFailure("internal: accuracy is resolved above")
        }
        if let mask, mask.count == rows {
            var sum = 0.0, weight = 0.0
            for r in 0..<rows { sum += Double(mask.scalars[r]) * rowValues[r]; weight += Double(mask.scalars[r]) }
            return (sum, weight)
        }
        let perSample = rows / samples
        var sum = 0.0
        for s in 0..<samples {
            var acc = 0.0
            for j in 0..<perSample { acc += rowValues[s * perSample + j] }
            sum += acc / Double(Swift.max(perSample, 1))
        }
        return (sum, Double(samples))
    }

    /// The metric's value on one batch (mean over samples).
    public func value(targets: Tensor, predictions: Tensor) throws -> Float {
        let (sum, weight) = try weightedSum(targets: targets, predictions: predictions)
        return Float(sum / Swift.max(weight, 1e-12))
    }

    private func argmax(_ v: [Float], _ start: Int, _ n: Int) -> Int {
        var best = 0
        for k in 1..<Swift.max(n, 1) where v[start + k] > v[start + best] { best = k }
        return best
    }
}
