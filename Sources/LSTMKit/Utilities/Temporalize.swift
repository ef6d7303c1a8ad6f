/// Turns a (rows, features) series into overlapping windows, exactly as the "step-by-step LSTM
/// autoencoder" tutorial's `temporalize(X, y, lookback)` does.
///
/// Sample i holds rows i+2 … i+lookback+1 and is paired with `y[i + lookback + 1]`; there are
/// rows − lookback − 1 samples. (The tutorial's window starts two rows after i; we keep that quirk so
/// its numbers repeat.) For 9 rows and lookback 3: 5 samples of shape (3, features).
///
/// - Returns: `x` of shape (samples, lookback, features) and `y` of shape (samples,).
public func temporalize(_ x: Tensor, _ y: [Float], lookback: Int) throws -> (x: Tensor, y: Tensor) {
    guard x.rank == 2 else {
        throw LSTMKitError.shapeMismatch("temporalize expects x of shape (rows, features), got \(formatShape(x.shape))")
    }
    let rows = x.shape[0], features = x.shape[1]
    guard y.count == rows else {
        throw LSTMKitError.shapeMismatch("temporalize expects \(rows) y values (one per row of x), got \(y.count)")
    }
    guard lookback >= 1 else {
        throw LSTMKitError.invalidArgument("temporalize expects lookback >= 1, got \(lookback)")
    }
    let samples = rows - lookback - 1
    guard samples >= 1 else {
        throw LSTMKitError.invalidArgument(
            "temporalize with lookback \(lookback) needs at least \(lookback > Int.max - 2 ? "lookback + 2" : String(lookback + 2)) rows, got \(rows)")
    }
    var windows = [Float](); windows.reserveCapacity(samples * lookback * features)
    var targets = [Float](); targets.reserveCapacity(samples)
    for i in 0..<samples {
        for j in 1...lookback {
            let row = i + j + 1
            windows.append(contentsOf: x.scalars[(row * features)..<((row + 1) * features)])
        }
        targets.append(y[i + lookback + 1])
    }
    return (try Tensor(shape: [samples, lookback, features], scalars: windows), Tensor(targets))
}

/// `temporalize` with all-zero targets (the autoencoder tutorial only uses the windows).
public func temporalize(_ x: Tensor, lookback: Int) throws -> Tensor {
    try temporalize(x, [Float](repeating: 0, count: x.shape.first ?? 0), lookback: lookback).x
}
