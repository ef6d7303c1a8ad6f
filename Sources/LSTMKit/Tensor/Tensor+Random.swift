/// Seeded random tensors drawn from the global generator (`LSTMKit.setRandomSeed(_:)`). Each throws
/// `invalidArgument` naming the shape for a negative extent or more than `LSTMKit.maxTensorElements` elements.
extension Tensor {
    /// Uniform values in [low, high).
    public static func randomUniform(_ shape: [Int], low: Float = 0, high: Float = 1) throws -> Tensor {
        guard low.isFinite, high.isFinite, low <= high else {
            throw LSTMKitError.invalidArgument("Tensor.randomUniform expects finite low <= high, got low \(low), high \(high)")
        }
        let n = try LSTMKit.elementCount(shape, what: "Tensor.randomUniform")
        return Tensor(uncheckedShape: shape, scalars: LSTMKit.uniformScalars(count: n, low: low, high: high))
    }

    /// Normally distributed values with the given mean and standard deviation.
    public static func randomNormal(_ shape: [Int], mean: Float = 0, stddev: Float = 1) throws -> Tensor {
        let n = try LSTMKit.elementCount(shape, what: "Tensor.randomNormal")
        return Tensor(uncheckedShape: shape, scalars: LSTMKit.normalScalars(count: n, mean: mean, stddev: stddev))
    }

    /// `0, 1, 2, …` in the given shape (numpy's `arange(n).reshape(shape)`).
    public static func arange(_ shape: [Int]) throws -> Tensor {
        let n = try LSTMKit.elementCount(shape, what: "Tensor.arange")
        return Tensor(uncheckedShape: shape, scalars: (0..<n).map(Float.init))
    }

    /// Internal: uniform values for a shape the caller knows to be valid (dropout masks).
    static func uncheckedRandomUniform(_ shape: [Int]) -> Tensor {
        Tensor(uncheckedShape: shape, scalars: LSTMKit.uniformScalars(count: shape.reduce(1, *), low: 0, high: 1))
    }
}
