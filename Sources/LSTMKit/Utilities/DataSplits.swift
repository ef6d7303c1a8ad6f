/// Splits samples (the first axis) into a training part and a validation part the way Keras's
/// `validation_split` does: the LAST `validationFraction` of the samples, in order, becomes validation.
///
/// The training part has ⌊n·(1 − validationFraction)⌋ samples. Throws when the fraction is outside
/// (0, 1), when x and y disagree on the sample count, or when either part would be empty.
public func trainValidationSplit(_ x: Tensor, _ y: Tensor, validationFraction: Double) throws
    -> (xTrain: Tensor, yTrain: Tensor, xValidation: Tensor, yValidation: Tensor) {
    let n = try sampleCount(x, y, what: "trainValidationSplit")
    let at = try splitPoint(samples: n, fraction: validationFraction, argument: "validationFraction")
    return (x.rows(0..<at), y.rows(0..<at), x.rows(at..<n), y.rows(at..<n))
}

/// The number of training samples Keras keeps for `validation_split = fraction`: ⌊n·(1 − fraction)⌋,
/// with Keras's errors for a fraction outside (0, 1) or an empty part.
func splitPoint(samples n: Int, fraction: Double, argument: String) throws -> Int {
    guard fraction > 0, fraction < 1 else {
        throw LSTMKitError.invalidArgument("\(argument) must be between 0 and 1 (exclusive), got \(fraction)")
    }
    let at = Int((Double(n) * (1 - fraction)).rounded(.down))
    guard at > 0, at < n else {
        throw LSTMKitError.invalidArgument(
            "\(argument)=\(fraction) leaves an empty \(at == 0 ? "training" : "validation") part: the data has \(n) samples, which is not enough to split into training (\(at)) and validation (\(n - at)) samples")
    }
    return at
}

/// Checks that x and y hold the same, non-zero number of samples; returns it.
func sampleCount(_ x: Tensor, _ y: Tensor, what: String) throws -> Int {
    guard x.rank >= 1, let n = x.shape.first, n > 0 else {
        throw LSTMKitError.emptyData("\(what) expects at least one sample in x, got shape \(formatShape(x.shape))")
    }
    guard y.shape.first == n else {
        throw LSTMKitError.shapeMismatch(
            "\(what) expects x and y with the same number of samples: x has \(n) (shape \(formatShape(x.shape))), y has \(y.shape.first ?? 0) (shape \(formatShape(y.shape)))")
    }
    return n
}

/// One-hot rows for integer class labels: label k becomes a row with 1 at column k.
///
/// - Parameters:
///   - labels: class indices (as Float, like Keras's float arrays) in 0..<classes.
///   - classes: number of columns; `nil` = largest label + 1 (like `keras.utils.to_categorical`).
/// - Returns: a tensor of shape (labels.count, classes).
public func oneHot(_ labels: [Float], classes: Int? = nil) throws -> Tensor {
    let indices = try labels.map { v -> Int in
        guard v >= 0, v == v.rounded(), v < Float(Int32.max) else {
            throw LSTMKitError.invalidArgument("oneHot expects non-negative integer labels, got \(v)")
        }
        return Int(v)
    }
    let width = classes ?? ((indices.max() ?? -1) + 1)
    if let bad = indices.first(where: { $0 >= width }) {
        throw LSTMKitError.invalidArgument("oneHot expects labels in 0..<\(width) (classes: \(width)), got \(bad)")
    }
    var out = [Float](repeating: 0, count: try LSTMKit.elementCount([indices.count, width], what: "oneHot"))
    for (row, k) in indices.enumerated() { out[row * width + k] = 1 }
    return try Tensor(shape: [indices.count, width], scalars: out)
}

/// One-hot rows for integer labels given as `Int`s.
public func oneHot(_ labels: [Int], classes: Int? = nil) throws -> Tensor {
    try oneHot(labels.map(Float.init), classes: classes)
}
