import Foundation

/// The activation functions layers accept (Keras names in `rawValue`).
///
/// Derivatives are computed from the activation's *output* y, which is what forward passes cache:
/// tanh' = 1 − y², sigmoid' = y(1 − y), relu' = [y > 0], elu' = y > 0 ? 1 : y + 1,
/// hard_sigmoid(x) = clip(x/6 + 1/2, 0, 1) (Keras 3), softmax is taken along the last axis.
public enum Activation: String, Codable, CaseIterable, Sendable {
    case linear, relu, tanh, sigmoid, softmax, elu, selu, softplus, softsign
    case hardSigmoid = "hard_sigmoid"

    /// Looks an activation up by its Keras name (`"relu"`, `"hard_sigmoid"`, `"hardSigmoid"`, …).
    public init(name: String) throws {
        if let a = Activation(rawValue: name) ?? Activation.allCases.first(where: { "\($0)" == name }) {
            self = a
        } else {
            let known = Activation.allCases.map(\.rawValue).joined(separator: ", ")
            throw LSTMKitError.invalidArgument("unknown activation '\(name)'; expected one of: \(known)")
        }
    }

    /// Whether each output depends on its own input only (all but softmax), so a row may be
    /// activated in pieces.
    var isElementwise: Bool { self != .softmax }

    static let seluAlpha: Float = 1.6732632423543772
    static let seluScale: Float = 1.0507009873554805

    /// Applies the activation in place to `count` values; softmax treats them as rows of `rowLength`.
    func apply(_ p: UnsafeMutablePointer<Float>, count: Int, rowLength: Int) {
        switch self {
        case .linear: return
        case .relu: for i in 0..<count { p[i] = Swift.max(p[i], 0) }
        case .tanh: Kernels.tanh(p, count: count)
        case .sigmoid: Kernels.sigmoid(p, count: count)
        case .hardSigmoid: for i in 0..<count { p[i] = Swift.min(Swift.max(p[i] / 6 + 0.5, 0), 1) }
        case .elu: for i in 0..<count where p[i] <= 0 { p[i] = Foundation.expm1(p[i]) }
        case .selu:
            for i in 0..<count {
                p[i] = p[i] > 0 ? Activation.seluScale * p[i] : Activation.seluScale * Activation.seluAlpha * Foundation.expm1(p[i])
            }
        case .softplus:
            // log(1 + e^x) computed without overflow for large x.
            for i in 0..<count { let x = p[i]; p[i] = Swift.max(x, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(x))) }
        case .softsign: for i in 0..<count { p[i] = p[i] / (1 + Swift.abs(p[i])) }
        case .softmax:
            let rows = rowLength == 0 ? 0 : count / rowLength
            for r in 0..<rows {
                let row = p + r * rowLength
                var m = -Float.infinity
                for j in 0..<rowLength { m = Swift.max(m, row[j]) }
                var s: Float = 0
                for j in 0..<rowLength { row[j] = Foundation.exp(row[j] - m); s += row[j] }
                for j in 0..<rowLength { row[j] /= s }
            }
        }
    }

    /// Turns d(loss)/d(output) into d(loss)/d(input) in place, given the cached outputs `y`.
    func backward(output y: UnsafePointer<Float>, grad g: UnsafeMutablePointer<Float>, count: Int, rowLength: Int) {
        switch self {
        case .linear: return
        case .relu: for i in 0..<count where y[i] <= 0 { g[i] = 0 }
        case .tanh: for i in 0..<count { g[i] *= 1 - y[i] * y[i] }
        case .sigmoid: for i in 0..<count { g[i] *= y[i] * (1 - y[i]) }
        case .hardSigmoid: for i in 0..<count { g[i] = (y[i] > 0 && y[i] < 1) ? g[i] / 6 : 0 }
        case .elu: for i in 0..<count where y[i] <= 0 { g[i] *= y[i] + 1 }
        case .selu:
            let sa = Activation.seluScale * Activation.seluAlpha
            for i in 0..<count { g[i] *= y[i] > 0 ? Activation.seluScale : y[i] + sa }
        case .softplus: for i in 0..<count { g[i] *= -Foundation.expm1(-y[i]) }
        case .softsign: for i in 0..<count { let a = 1 - Swift.abs(y[i]); g[i] *= a * a }
        case .softmax:
            let rows = rowLength == 0 ? 0 : count / rowLength
            for r in 0..<rows {
                let o = r * rowLength
                var dot: Float = 0
                for j in 0..<rowLength { dot += g[o + j] * y[o + j] }
                for j in 0..<rowLength { g[o + j] = y[o + j] * (g[o + j] - dot) }
            }
        }
    }
}
