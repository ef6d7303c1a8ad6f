import Foundation

/// Projections applied to a weight after every optimizer step, with Keras's definitions
/// (`kernelConstraint:` etc.).
///
/// Norms are taken along `axis` (Keras's default 0: for a kernel (d, u), the norm of each unit's incoming
/// weights) with Keras's epsilon 1e-7: `maxNorm` scales w by clip(‖w‖, 0, maxValue) / (1e-7 + ‖w‖),
/// `unitNorm` divides by 1e-7 + ‖w‖, `minMaxNorm` scales by (rate·clip(‖w‖, min, max) + (1 − rate)·‖w‖) /
/// (1e-7 + ‖w‖), and `nonNeg` is max(w, 0).
public enum Constraint: Equatable, Sendable {
    /// Keras's `MaxNorm(max_value=2, axis=0)`.
    case maxNorm(maxValue: Float = 2, axis: Int = 0)
    /// Keras's `NonNeg()`.
    case nonNeg
    /// Keras's `UnitNorm(axis=0)`.
    case unitNorm(axis: Int = 0)
    /// Keras's `MinMaxNorm(min_value=0, max_value=1, rate=1, axis=0)`.
    case minMaxNorm(minValue: Float = 0, maxValue: Float = 1, rate: Float = 1, axis: Int = 0)

    /// Keras's names accepted by `init(name:)` (class names `MaxNorm`, … are accepted too).
    public static let kerasNames = ["max_norm", "non_neg", "unit_norm", "min_max_norm"]

    /// The constraint named like Keras (`"max_norm"`, `"NonNeg"`, …) with Keras's default arguments.
    public init(name: String) throws {
        switch name.lowercased().replacingOccurrences(of: "_", with: "") {
        case "maxnorm": self = .maxNorm()
        case "nonneg": self = .nonNeg
        case "unitnorm": self = .unitNorm()
        case "minmaxnorm": self = .minMaxNorm()
        default:
            throw LSTMKitError.invalidArgument(
                "unknown constraint '\(name)'; expected one of \(Constraint.kerasNames.map { "'\($0)'" }.joined(separator: ", "))")
        }
    }

    /// Keras's class name.
    public var className: String {
        switch self {
        case .maxNorm: return "MaxNorm"
        case .nonNeg: return "NonNeg"
        case .unitNorm: return "UnitNorm"
        case .minMaxNorm: return "MinMaxNorm"
        }
    }

    /// Keras's serialised form `{"class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}}`.
    var configValue: ConfigValue {
        switch self {
        case .maxNorm(let m, let a): return .layer(LayerConfig(className: className, values: ["max_value": .double(Double(m)), "axis": .int(a)]))
        case .nonNeg: return .layer(LayerConfig(className: className, values: [:]))
        case .unitNorm(let a): return .layer(LayerConfig(className: className, values: ["axis": .int(a)]))
        case .minMaxNorm(let lo, let hi, let rate, let a):
            return .layer(LayerConfig(className: className, values: ["min_value": .double(Double(lo)), "max_value": .double(Double(hi)),
                                                                      "rate": .double(Double(rate)), "axis": .int(a)]))
        }
    }

    /// Reads a constraint from a config value: a name or Keras's `{class_name, config}`.
    init(configValue v: ConfigValue, key: String) throws {
        switch v {
        case .string(let s): try self.init(name: s)
        case .layer(let c):
            func number(_ k: String, _ d: Float) throws -> Float { try c.float(k, default: d, in: "constraint") }
            func axis() throws -> Int {
                switch c.values["axis"] {
                case nil, .null?: return 0
                case .int(let x)?: return x
                case let other?: throw LSTMKitError.invalidArgument("constraint \(c.className) expects 'axis' to be an integer, got \(other)")
                }
            }
            switch try Constraint(name: c.className) {
            case .maxNorm: self = .maxNorm(maxValue: try number("max_value", 2), axis: try axis())
            case .nonNeg: self = .nonNeg
            case .unitNorm: self = .unitNorm(axis: try axis())
            case .minMaxNorm:
                self = .minMaxNorm(minValue: try number("min_value", 0), maxValue: try number("max_value", 1),
                                   rate: try number("rate", 1), axis: try axis())
            }
        default:
            throw LSTMKitError.invalidArgument(
                "expected '\(key)' to be a constraint name (\(Constraint.kerasNames.joined(separator: ", "))) or {class_name, config}, got \(v)")
        }
    }

    /// Checks the arguments; throws naming what was given.
    func validate(_ what: String) throws {
        switch self {
        case .maxNorm(let m, _):
            guard m.isFinite, m >= 0 else { throw LSTMKitError.invalidArgument("\(what): MaxNorm expects max_value >= 0, got \(m)") }
        case .minMaxNorm(let lo, let hi, let rate, _):
            guard lo.isFinite, hi.isFinite, lo >= 0, lo <= hi, (0...1).contains(rate) else {
                throw LSTMKitError.invalidArgument(
                    "\(what): MinMaxNorm expects 0 <= min_value <= max_value and rate in [0, 1], got min_value \(lo), max_value \(hi), rate \(rate)")
            }
        default: break
        }
    }

    /// Checks that `axis` fits a weight of `shape`; throws naming both.
    func validate(_ what: String, shape: [Int]) throws {
        try validate(what)
        let axis: Int
        switch self {
        case .maxNorm(_, let a), .unitNorm(let a), .minMaxNorm(_, _, _, let a): axis = a
        case .nonNeg: return
        }
        guard (-shape.count..<shape.count).contains(axis) else {
            throw LSTMKitError.invalidArgument("\(what): \(className) axis must be in \(-shape.count)..<\(shape.count) for a weight of shape \(formatShape(shape)), got \(axis)")
        }
    }

    /// The projected weights. A weight whose rank `axis` does not fit is returned unchanged (layers reject
    /// such a constraint when they build; see `validate`).
    public func apply(_ w: Tensor) -> Tensor {
        let eps: Float = 1e-7
        var axis: Int
        let factor: (Float) -> Float
        switch self {
        case .nonNeg: return w.map { Swift.max($0, 0) }
        case .maxNorm(let m, let a):
            axis = a; factor = { n in Swift.min(Swift.max(n, 0), m) / (eps + n) }
        case .unitNorm(let a):
            axis = a; factor = { n in 1 / (eps + n) }
        case .minMaxNorm(let lo, let hi, let rate, let a):
            axis = a; factor = { n in (rate * Swift.min(Swift.max(n, lo), hi) + (1 - rate) * n) / (eps + n) }
        }
        let shape = w.shape
        if shape.isEmpty { let n = Swift.abs(w.scalars[0]); return w.map { $0 * factor(n) } }
        guard (-shape.count..<shape.count).contains(axis) else { return w }
        if axis < 0 { axis += shape.count }
        let outer = shape[..<axis].reduce(1, *), len = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        var out = w.scalars
        for o in 0..<outer {
            for i in 0..<inner {
                var s: Float = 0
                for k in 0..<len { let v = out[(o * len + k) * inner + i]; s += v * v }
                let f = factor(s.squareRoot())
                for k in 0..<len { out[(o * len + k) * inner + i] *= f }
            }
        }
        return Tensor(uncheckedShape: shape, scalars: out)
    }
}
