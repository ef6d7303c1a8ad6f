/// Standardises features to zero mean and unit variance, like scikit-learn's `StandardScaler`.
///
/// Statistics are per feature (the last axis) over every other axis, so it works on (samples, features)
/// and on (samples, timesteps, features) alike. The variance is the population variance (÷ n), and a
/// feature with zero variance gets scale 1, as scikit-learn does.
public struct StandardScaler: Codable, Equatable, Sendable {
    /// Per-feature means, after `fit`.
    public private(set) var mean: [Float] = []
    /// Per-feature standard deviations (1 where the variance is 0), after `fit`.
    public private(set) var scale: [Float] = []

    /// An unfitted scaler.
    public init() {}

    /// Whether `fit` has been called.
    public var isFitted: Bool { !mean.isEmpty }

    /// Learns the per-feature mean and standard deviation of `x` (computed in Double).
    public mutating func fit(_ x: Tensor) throws {
        guard x.rank >= 1, let features = x.shape.last, features > 0, x.count > 0 else {
            throw LSTMKitError.emptyData("StandardScaler.fit expects a non-empty tensor of shape (..., features), got \(formatShape(x.shape))")
        }
        let n = x.count / features
        var sum = [Double](repeating: 0, count: features)
        var sq = [Double](repeating: 0, count: features)
        for (i, v) in x.scalars.enumerated() { sum[i % features] += Double(v) }
        let m = sum.map { $0 / Double(n) }
        for (i, v) in x.scalars.enumerated() { let d = Double(v) - m[i % features]; sq[i % features] += d * d }
        mean = m.map { Float($0) }
        scale = sq.map { let s = ($0 / Double(n)).squareRoot(); return s == 0 ? 1 : Float(s) }
    }

    /// `(x − mean) / scale`, per feature.
    public func transform(_ x: Tensor) throws -> Tensor {
        try check(x, "transform")
        var out = x
        out.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = (p[i] - mean[i % mean.count]) / scale[i % mean.count] }
        }
        return out
    }

    /// `fit` then `transform`.
    public mutating func fitTransform(_ x: Tensor) throws -> Tensor {
        try fit(x)
        return try transform(x)
    }

    /// `x · scale + mean`, per feature: undoes `transform`.
    public func inverseTransform(_ x: Tensor) throws -> Tensor {
        try check(x, "inverseTransform")
        var out = x
        out.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = p[i] * scale[i % mean.count] + mean[i % mean.count] }
        }
        return out
    }

    private func check(_ x: Tensor, _ what: String) throws {
        guard isFitted else {
            throw LSTMKitError.invalidArgument("StandardScaler.\(what) called before fit: call fit(_:) on the training data first")
        }
        guard scale.count == mean.count else {
            throw LSTMKitError.invalidArgument(
                "StandardScaler has \(mean.count) means but \(scale.count) scales (decoded from mismatched data?); fit it again")
        }
        guard x.shape.last == mean.count else {
            throw LSTMKitError.shapeMismatch(
                "StandardScaler.\(what) expects \(mean.count) features (last axis), got shape \(formatShape(x.shape))")
        }
    }
}
