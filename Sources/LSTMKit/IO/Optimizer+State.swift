import Foundation

/// The optimizer's variables inside `model.safetensors`, so training resumes exactly after a load
/// (Keras 3 saves them too).
///
/// Each slot array is a tensor keyed `optimizer/<class, lowercased>/<slot>/<weight key>` with its
/// parameter's shape (`optimizer/adam/m/lstm/kernel`). The step count is stored as the metadata entry
/// `optimizer/iterations` (a decimal string): an F32 tensor would round counts above 2²⁴, and the
/// bias correction of Adam depends on the exact step.
extension Optimizer {
    /// Prefix of every optimizer tensor key in a saved model.
    static let stateKeyPrefix = "optimizer/"
    /// Metadata key holding the step count; present only when the optimizer has state.
    static let iterationsMetadataKey = "optimizer/iterations"

    /// The safetensors key of slot `slot` of the weight saved as `weightKey`.
    func stateKey(slot: String, weightKey: String) -> String {
        "\(Self.stateKeyPrefix)\(className.lowercased())/\(slot)/\(weightKey)"
    }

    /// The tensors and metadata that describe this optimizer's state for `parameters` (each with the
    /// key its weight is saved under); empty before the first update. A parameter that has no slots yet
    /// (it became trainable after the last update) gets zeros, which is what the next update would create.
    func savedState(for parameters: [(parameter: Parameter, key: String)]) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        guard isBuilt else { return ([:], [:]) }
        var tensors: [String: Tensor] = [:]
        for (p, key) in parameters {
            let state = slots[ObjectIdentifier(p)]
            for (s, slot) in slotNames.enumerated() {
                let values = state.map { Array(UnsafeBufferPointer(start: $0[s].p, count: $0[s].count)) } ?? [Float](repeating: 0, count: p.count)
                tensors[stateKey(slot: slot, weightKey: key)] = try Tensor(shape: p.value.shape, scalars: values)
            }
        }
        return (tensors, [Self.iterationsMetadataKey: String(iterations)])
    }

    /// Replaces this optimizer's state with the one saved in `tensors` / `metadata` for `parameters`.
    /// Throws `LSTMKitError.io` naming the expected and the given arrays (or shapes) when the saved state
    /// does not fit these parameters and this optimizer; leaves the optimizer fresh when nothing was saved.
    func restoreState(for parameters: [(parameter: Parameter, key: String)], tensors: [String: Tensor],
                      metadata: [String: String], source: String) throws {
        let given = Set(tensors.keys.filter { $0.hasPrefix(Self.stateKeyPrefix) })
        guard let text = metadata[Self.iterationsMetadataKey] else {
            guard given.isEmpty else {
                throw LSTMKitError.io("\(source): optimizer state does not match: expected no optimizer arrays (metadata has no '\(Self.iterationsMetadataKey)'), given \(given.count): \(Self.sample(given))")
            }
            reset()
            return
        }
        guard let count = Int(text), count >= 0 else {
            throw LSTMKitError.io("\(source): metadata '\(Self.iterationsMetadataKey)' expects a non-negative integer, given '\(text)'")
        }
        var expected: [String] = []
        for (_, key) in parameters { for slot in slotNames { expected.append(stateKey(slot: slot, weightKey: key)) } }
        let missing = expected.filter { !given.contains($0) }
        let unexpected = given.subtracting(expected)
        guard missing.isEmpty, unexpected.isEmpty else {
            throw LSTMKitError.io(
                "\(source): optimizer state does not match the architecture and the \(className) optimizer: expected \(expected.count) arrays (\(Self.sample(expected))), given \(given.count) (\(Self.sample(given)))"
                + (missing.isEmpty ? "" : "; missing \(Self.sample(missing))") + (unexpected.isEmpty ? "" : "; unexpected \(Self.sample(unexpected))"))
        }
        var restored: [ObjectIdentifier: [FloatBuffer]] = [:]
        for (p, key) in parameters {
            var state: [FloatBuffer] = []
            for slot in slotNames {
                let k = stateKey(slot: slot, weightKey: key), t = tensors[k]!
                guard t.shape == p.shape else {
                    throw LSTMKitError.shapeMismatch("\(source): optimizer array '\(k)' expects shape \(formatShape(p.shape)), given \(formatShape(t.shape))")
                }
                state.append(FloatBuffer(copying: t))
            }
            restored[ObjectIdentifier(p)] = state
        }
        slots = restored
        builtFor = parameters.map(\.parameter)
        iterations = count
    }

    /// Up to three names, sorted, for error messages.
    private static func sample<S: Sequence>(_ names: S) -> String where S.Element == String {
        let sorted = names.sorted()
        let shown = sorted.prefix(3).map { "'\($0)'" }.joined(separator: ", ")
        return sorted.count > 3 ? "\(shown), … \(sorted.count - 3) more" : (shown.isEmpty ? "none" : shown)
    }
}
