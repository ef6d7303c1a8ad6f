import Foundation

/// Weight penalties with Keras's definitions, added to the training loss (`kernelRegularizer:` etc.).
///
/// `l1(x)`: x·Σ|w|; `l2(x)`: x·Σw² (no ½, like Keras); `l1l2(l1:l2:)`: both. `fit`, `trainOnBatch` and
/// `evaluate` report the loss including the penalties of every trainable weight, and training adds their
/// gradients (x·sign(w) with sign(0) = 1 as in JAX, 2x·w), exactly as Keras adds `model.losses` to the
/// compiled loss.
public enum Regularizer: Equatable, Sendable {
    /// x·Σ|w| (Keras's `L1`, default x = 0.01).
    case l1(_ l1: Float = 0.01)
    /// x·Σw² (Keras's `L2`, default x = 0.01).
    case l2(_ l2: Float = 0.01)
    /// l1·Σ|w| + l2·Σw² (Keras's `L1L2`, defaults 0 and 0).
    case l1l2(l1: Float = 0, l2: Float = 0)

    /// Keras's names accepted by `init(name:)` (Keras 3 also takes the class names `L1`, `L2`, `L1L2`).
    public static let kerasNames = ["l1", "l2", "l1l2"]

    /// Keras's string name with Keras's defaults: `"l1"` and `"l2"` use 0.01; `"l1l2"` is `L1L2()`, whose
    /// factors are both 0 in Keras 3.15 (despite its docstring's 0.01). Keras 3 rejects `"l1_l2"`, and so does this.
    public init(name: String) throws {
        switch name {
        case "l1", "L1": self = .l1()
        case "l2", "L2": self = .l2()
        case "l1l2", "L1L2": self = .l1l2()
        default:
            throw LSTMKitError.invalidArgument(
                "unknown regularizer '\(name)'; expected one of \(Regularizer.kerasNames.map { "'\($0)'" }.joined(separator: ", ")) or {class_name: L1/L2/L1L2, config}")
        }
    }

    /// The factors (l1, l2).
    var factors: (l1: Float, l2: Float) {
        switch self {
        case .l1(let a): return (a, 0)
        case .l2(let b): return (0, b)
        case .l1l2(let a, let b): return (a, b)
        }
    }

    /// Keras's class name (`L1`, `L2`, `L1L2`).
    public var className: String {
        switch self {
        case .l1: return "L1"
        case .l2: return "L2"
        case .l1l2: return "L1L2"
        }
    }

    /// The penalty for weights `w`.
    public func penalty(_ w: Tensor) -> Float {
        let (a, b) = factors
        var s1: Float = 0, s2: Float = 0
        w.withUnsafeBufferPointer { p in
            for v in p { s1 += Swift.abs(v); s2 += v * v }
        }
        return a * s1 + b * s2
    }

    /// Adds d(penalty)/d(w) = l1·s(w) + 2·l2·w into `grad` (same shape as `w`), where s(w) is 1 for w ≥ 0
    /// and −1 below: the derivative JAX (Keras's backend for the parity fixtures) gives |w|, also at 0.
    func accumulateGradient(_ w: Tensor, into grad: inout Tensor) {
        let (a, b) = factors
        w.withUnsafeBufferPointer { p in
            grad.withUnsafeMutableBufferPointer { g in
                for i in 0..<p.count {
                    let v = p[i]
                    g[i] += a * (v >= 0 ? 1 : -1) + 2 * b * v
                }
            }
        }
    }

    /// Checks the factors are finite and ≥ 0; throws naming what was given.
    func validate(_ what: String) throws {
        let (a, b) = factors
        guard a.isFinite, b.isFinite, a >= 0, b >= 0 else {
            throw LSTMKitError.invalidArgument("\(what): \(className) expects finite factors >= 0, got l1 \(a), l2 \(b)")
        }
    }

    /// Keras's serialised form `{"class_name": "L2", "config": {"l2": 0.01}}` (Keras adds `module` and
    /// `registered_name`, which readers ignore).
    var configValue: ConfigValue {
        let (a, b) = factors
        switch self {
        case .l1: return .layer(LayerConfig(className: "L1", values: ["l1": .double(Double(a))]))
        case .l2: return .layer(LayerConfig(className: "L2", values: ["l2": .double(Double(b))]))
        case .l1l2: return .layer(LayerConfig(className: "L1L2", values: ["l1": .double(Double(a)), "l2": .double(Double(b))]))
        }
    }

    /// Reads a regularizer from a config value: a name or Keras's `{class_name, config}`.
    init(configValue v: ConfigValue, key: String) throws {
        switch v {
        case .string(let s): try self.init(name: s)
        case .layer(let c):
            func number(_ k: String, _ d: Float) throws -> Float { try c.float(k, default: d, in: "regularizer") }
            switch c.className {
            case "L1", "l1": self = .l1(try number("l1", 0.01))
            case "L2", "l2": self = .l2(try number("l2", 0.01))
            case "L1L2", "l1l2": self = .l1l2(l1: try number("l1", 0), l2: try number("l2", 0))
            default:
                throw LSTMKitError.invalidArgument("unknown regularizer class '\(c.className)' in '\(key)'; expected L1, L2 or L1L2")
            }
        default:
            throw LSTMKitError.invalidArgument("expected '\(key)' to be a regularizer name (l1, l2, l1l2) or {class_name, config}, got \(v)")
        }
    }
}
