/// Seeded random tensors drawn from the global generator (`LSTMKit.setRandomSeed(_:)`).
extension Tensor {
    /// Uniform values in [low, high).
    public static func randomUniform(_ shape: [Int], low: Float = 0, high: Float = 1) -> Tensor {
        Tensor(uncheckedShape: shape, scalars: LSTMKit.uniformScalars(count: shape.reduce(1, *), low: low, high: high))
    }

    /// Normally distributed values with the given mean and standard deviation.
    public static func randomNormal(_ shape: [Int], mean: Float = 0, stddev: Float = 1) -> Tensor {
        Tensor(uncheckedShape: shape, scalars: LSTMKit.normalScalars(count: shape.reduce(1, *), mean: mean, stddev: stddev))
    }

    /// `0, 1, 2, …` in the given shape (numpy's `arange(n).reshape(shape)`).
    public static func arange(_ shape: [Int]) -> Tensor {
        Tensor(uncheckedShape: shape, scalars: (0..<shape.reduce(1, *)).map(Float.init))
    }
}
