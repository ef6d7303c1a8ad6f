/// Where `padSequences` adds padding or cuts long sequences: before the sequence or after it.
public enum SequenceEnd: String, Codable, Sendable {
    /// At the start (Keras's `"pre"`, the default).
    case pre
    /// At the end (Keras's `"post"`).
    case post
}

/// Pads (or truncates) variable-length sequences to one length, like Keras's `pad_sequences`,
/// but keeping Float values (Keras's default int32 dtype silently truncates floats).
///
/// - Parameters:
///   - sequences: one array per sample; each element is one timestep (a scalar).
///   - maxlen: the output length; `nil` = the longest sequence.
///   - padding: pad before (`.pre`, default) or after (`.post`) each sequence.
///   - truncating: drop values from the start (`.pre`, default) or the end (`.post`) of long sequences.
///   - value: the padding value (default 0).
/// - Returns: a tensor of shape (samples, maxlen).
public func padSequences(_ sequences: [[Float]], maxlen: Int? = nil, padding: SequenceEnd = .pre,
                         truncating: SequenceEnd = .pre, value: Float = 0) throws -> Tensor {
    let steps = try padSequenceSteps(sequences.map { $0.map { [$0] } }, maxlen: maxlen, padding: padding,
                                     truncating: truncating, value: value, features: 1)
    return try steps.reshaped([sequences.count, steps.shape[1]])
}

/// Pads (or truncates) sequences of feature vectors: each sample is `[[Float]]` (timesteps × features).
/// Returns a tensor of shape (samples, maxlen, features); padded steps hold `value` in every feature.
public func padSequences(_ sequences: [[[Float]]], maxlen: Int? = nil, padding: SequenceEnd = .pre,
                         truncating: SequenceEnd = .pre, value: Float = 0) throws -> Tensor {
    let features = sequences.lazy.compactMap(\.first).first?.count ?? 1
    return try padSequenceSteps(sequences, maxlen: maxlen, padding: padding, truncating: truncating,
                                value: value, features: features)
}

private func padSequenceSteps(_ sequences: [[[Float]]], maxlen: Int?, padding: SequenceEnd,
                              truncating: SequenceEnd, value: Float, features: Int) throws -> Tensor {
    if let maxlen, maxlen < 0 {
        throw LSTMKitError.invalidArgument("padSequences expects maxlen >= 0 (or nil for the longest), got \(maxlen)")
    }
    for (i, s) in sequences.enumerated() {
        if let bad = s.firstIndex(where: { $0.count != features }) {
            throw LSTMKitError.shapeMismatch(
                "padSequences expects every timestep to have \(features) features, got \(s[bad].count) at sequence \(i), step \(bad)")
        }
    }
    let length = maxlen ?? (sequences.map(\.count).max() ?? 0)
    var out = [Float](repeating: value, count: try LSTMKit.elementCount([sequences.count, length, features], what: "padSequences"))
    for (i, s) in sequences.enumerated() {
        let kept: ArraySlice<[Float]> = s.count <= length
            ? s[...] : (truncating == .pre ? s[(s.count - length)...] : s[..<length])
        let offset = padding == .pre ? length - kept.count : 0
        for (j, step) in kept.enumerated() {
            let base = (i * length + offset + j) * features
            for f in 0..<features { out[base + f] = step[f] }
        }
    }
    return try Tensor(shape: [sequences.count, length, features], scalars: out)
}
