/// Converts PyTorch recurrent weights to LSTMKit's (Keras) layout, for `setWeights(_:)`.
///
/// PyTorch stores `weight_ih` as (gates·units, inputDim) and `weight_hh` as (gates·units, units), with
/// separate input and recurrent biases. Keras stores the transposes, in its own gate order.
public enum PyTorchWeights {
    /// `[kernel (d, 4u), recurrentKernel (u, 4u), bias (4u)]` from nn.LSTM's `weight_ih_l0`, `weight_hh_l0`,
    /// `bias_ih_l0`, `bias_hh_l0`. The gate order (i, f, g, o) is Keras's (i, f, c, o); the biases add up.
    public static func lstm(weightIH: Tensor, weightHH: Tensor, biasIH: Tensor, biasHH: Tensor) throws -> [Tensor] {
        _ = try check(weightIH, weightHH, biasIH, biasHH, gates: 4, what: "LSTM")
        return [weightIH.transposed(), weightHH.transposed(), try biasIH + biasHH]
    }

    /// `[kernel (d, 3u), recurrentKernel (u, 3u), bias (2, 3u)]` for a Keras GRU with `resetAfter: true`
    /// from nn.GRU's weights: PyTorch's gate order (r, z, n) becomes Keras's (z, r, h); bias row 0 is the
    /// input bias and row 1 the recurrent bias.
    public static func gru(weightIH: Tensor, weightHH: Tensor, biasIH: Tensor, biasHH: Tensor) throws -> [Tensor] {
        let u = try check(weightIH, weightHH, biasIH, biasHH, gates: 3, what: "GRU")
        // Rows of the PyTorch matrices, reordered gate blocks z, r, n.
        func reorderRows(_ w: Tensor) -> Tensor {
            let cols = w.shape.count == 2 ? w.shape[1] : 1
            let blocks = [1, 0, 2].map { g in Array(w.scalars[(g * u * cols)..<((g + 1) * u * cols)]) }
            return Tensor(uncheckedShape: w.shape, scalars: blocks.flatMap { $0 })
        }
        let bias = Tensor(uncheckedShape: [2, 3 * u], scalars: reorderRows(biasIH).scalars + reorderRows(biasHH).scalars)
        return [reorderRows(weightIH).transposed(), reorderRows(weightHH).transposed(), bias]
    }

    private static func check(_ wih: Tensor, _ whh: Tensor, _ bih: Tensor, _ bhh: Tensor, gates: Int, what: String) throws -> Int {
        guard wih.rank == 2, wih.shape[0] % gates == 0 else {
            throw LSTMKitError.shapeMismatch("PyTorch \(what) weight_ih must have shape (\(gates)·units, inputDim), got \(formatShape(wih.shape))")
        }
        let u = wih.shape[0] / gates
        for (name, t, shape) in [("weight_hh", whh, [gates * u, u]), ("bias_ih", bih, [gates * u]), ("bias_hh", bhh, [gates * u])]
        where t.shape != shape {
            throw LSTMKitError.shapeMismatch("PyTorch \(what) \(name) must have shape \(formatShape(shape)) for \(u) units, got \(formatShape(t.shape))")
        }
        return u
    }
}
