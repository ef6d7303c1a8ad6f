import XCTest
@testable import LSTMKit

/// Finite-difference gradient checking (llm.c / micrograd style).
///
/// The loss is L = Σ_outputs Σ r ⊙ y with fixed random coefficients r, accumulated in Double. Analytic
/// gradients come from the model's pullback; numeric ones from central differences with step `eps`.
/// Float32 forward passes limit the achievable agreement, so the tolerance is
/// |analytic − numeric| ≤ atol + rtol·max(|analytic|, |numeric|).
struct GradientChecker {
    var eps: Float = 1e-3
    var rtol: Double = 2e-2
    var atol: Double = 2e-3
    /// At most this many entries of each tensor are checked (chosen evenly), to keep tests quick.
    var maxEntries = 40

    /// Checks d(loss)/d(inputs) and d(loss)/d(every parameter) of `model` at `inputs`.
    ///
    /// `seed` reseeds the global generator before every forward pass, so dropout masks repeat.
    func check(_ model: Model, _ inputs: [Tensor], training: Bool = false, seed: Int? = nil,
               checkInputs: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws {
        func run(_ xs: [Tensor]) throws -> ModelForward {
            if let seed { LSTMKit.setRandomSeed(seed) }
            model.resetStates()
            return try model.forwardWithMasks(xs, training: training)
        }
        let base = try run(inputs)
        LSTMKit.setRandomSeed(991)
        let coeffs = try base.outputs.map { try Tensor.randomUniform($0.shape, low: -1, high: 1) }
        func loss(_ xs: [Tensor]) throws -> Double {
            let outs = try run(xs).outputs
            var s = 0.0
            for (o, r) in zip(outs, coeffs) { for i in 0..<o.count { s += Double(o.scalars[i]) * Double(r.scalars[i]) } }
            return s
        }
        model.zeroGradients()
        let fresh = try run(inputs)
        let dInputs = try fresh.pullback(coeffs)
        let params = model.parameters
        let analyticParams = params.map(\.grad)

        var failures = [String](), maxDiff = 0.0, checked = 0
        func compare(_ label: String, _ analytic: Tensor?, _ count: Int, perturb: (Int, Float) -> Void) throws {
            let stride = Swift.max(1, count / maxEntries)
            for i in Swift.stride(from: 0, to: count, by: stride) {
                perturb(i, eps); let lp = try loss(inputs2)
                perturb(i, -2 * eps); let lm = try loss(inputs2)
                perturb(i, eps)
                let numeric = (lp - lm) / (2 * Double(eps))
                let a = Double(analytic?.scalars[i] ?? 0)
                let diff = abs(a - numeric)
                maxDiff = Swift.max(maxDiff, diff)
                checked += 1
                if diff > atol + rtol * Swift.max(abs(a), abs(numeric)) {
                    failures.append("\(label)[\(i)]: analytic \(a), numeric \(numeric), diff \(diff)")
                }
            }
        }
        var inputs2 = inputs
        for (pi, p) in params.enumerated() {
            try compare(p.path, analyticParams[pi], p.count) { i, d in p.value.scalars[i] += d }
        }
        if checkInputs {
            for k in inputs.indices {
                try compare("input\(k)", dInputs[k], inputs[k].count) { i, d in inputs2[k].scalars[i] += d }
            }
        }
        if !failures.isEmpty {
            XCTFail("\(failures.count) of \(checked) gradient entries differ (max diff \(maxDiff)); first: \n" +
                    failures.prefix(5).joined(separator: "\n"), file: file, line: line)
        }
        XCTAssertGreaterThan(checked, 0, file: file, line: line)
    }
}
