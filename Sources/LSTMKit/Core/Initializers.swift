import Foundation

/// Weight initialisers with Keras's definitions, drawing from the global seeded generator
/// (`LSTMKit.setRandomSeed(_:)` makes them reproducible).
///
/// Fans follow Keras's `compute_fans`: a matrix (d, u) has fanIn = d, fanOut = u; a vector (n) has
/// fanIn = fanOut = n; higher ranks multiply both by the product of the leading axes. The variance-scaling
/// family (`glorot*`, `he*`, `lecun*`) uses Keras's scale and mode; its normal variants are truncated
/// at two standard deviations with stddev = sqrt(scale / fan) / 0.87962566103423978, as in Keras.
/// `varianceScaling` is the general form of that family; `constant` and `identity` are Keras's
/// deterministic ones. Layers take them as `kernelInitializer:` etc.; configs store Keras's names
/// (`"he_normal"`) or, for the parameterised ones, Keras's `{"class_name": "RandomUniform", "config": {...}}` form.
public enum Initializer: Equatable, Sendable {
    /// U(−l, l) with l = sqrt(6 / (fanIn + fanOut)) (Keras's `glorot_uniform`).
    case glorotUniform
    /// Truncated normal with stddev sqrt(2 / (fanIn + fanOut)) / 0.8796… (Keras's `glorot_normal`).
    case glorotNormal
    /// U(−l, l) with l = sqrt(6 / fanIn) (Keras's `he_uniform`).
    case heUniform
    /// Truncated normal with stddev sqrt(2 / fanIn) / 0.8796… (Keras's `he_normal`).
    case heNormal
    /// U(−l, l) with l = sqrt(3 / fanIn) (Keras's `lecun_uniform`).
    case lecunUniform
    /// Truncated normal with stddev sqrt(1 / fanIn) / 0.8796… (Keras's `lecun_normal`).
    case lecunNormal
    /// A (semi-)orthogonal matrix from the QR decomposition of a standard normal one, signs fixed by diag(R).
    case orthogonal
    /// All zeros.
    case zeros
    /// All ones.
    case ones
    /// U(minval, maxval); Keras's defaults are −0.05 and 0.05 (`random_uniform`).
    case randomUniform(minval: Float = -0.05, maxval: Float = 0.05)
    /// N(mean, stddev²); Keras's defaults are 0 and 0.05 (`random_normal`).
    case randomNormal(mean: Float = 0, stddev: Float = 0.05)
    /// N(mean, stddev²) with draws beyond two stddevs redrawn; Keras's defaults are 0 and 0.05 (`truncated_normal`).
    case truncatedNormal(mean: Float = 0, stddev: Float = 0.05)
    /// Every entry `value`; Keras's default is 0 (`constant`).
    case constant(value: Float = 0)
    /// Keras's `VarianceScaling`: n = fanIn, fanOut or their mean (`mode`), s = scale / max(1, n); draws from
    /// a normal truncated at two stddevs with stddev sqrt(s) / 0.8796… (so the result has stddev sqrt(s)),
    /// an untruncated normal with stddev sqrt(s), or U(−sqrt(3s), sqrt(3s)) (`distribution`).
    /// Keras's defaults: scale 1, `.fanIn`, `.truncatedNormal`; scale must be positive.
    case varianceScaling(scale: Float = 1, mode: FanMode = .fanIn, distribution: Distribution = .truncatedNormal)
    /// `gain` on the main diagonal of a 2-D weight, zeros elsewhere; a rectangular (r, c) weight gets
    /// min(r, c) of them, like Keras's `ops.eye(r, c)` (`identity`). Other ranks throw.
    case identity(gain: Float = 1)

    /// Which fan `varianceScaling` divides its scale by (Keras's `mode`).
    public enum FanMode: String, Equatable, Sendable, CaseIterable {
        /// The number of input units (`"fan_in"`).
        case fanIn = "fan_in"
        /// The number of output units (`"fan_out"`).
        case fanOut = "fan_out"
        /// The mean of the two (`"fan_avg"`).
        case fanAvg = "fan_avg"

        /// The mode named like Keras (`"fan_in"`, `"fan_out"`, `"fan_avg"`; exact, as Keras checks it).
        /// Throws naming the allowed values otherwise.
        public init(kerasName: String) throws {
            guard let mode = FanMode(rawValue: kerasName) else {
                throw LSTMKitError.invalidArgument(
                    "unknown variance_scaling mode '\(kerasName)'; expected one of \(FanMode.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", "))")
            }
            self = mode
        }
    }

    /// What `varianceScaling` draws from (Keras's `distribution`).
    public enum Distribution: String, Equatable, Sendable, CaseIterable {
        /// A normal truncated at two standard deviations, widened so the result has the target stddev.
        case truncatedNormal = "truncated_normal"
        /// A plain normal.
        case untruncatedNormal = "untruncated_normal"
        /// A uniform distribution with the target stddev.
        case uniform = "uniform"

        /// The distribution named like Keras: case-insensitive, and `"normal"` means `"truncated_normal"`,
        /// as in Keras. Throws naming the allowed values otherwise.
        public init(kerasName: String) throws {
            let key = kerasName.lowercased()
            guard let d = key == "normal" ? .truncatedNormal : Distribution(rawValue: key) else {
                throw LSTMKitError.invalidArgument(
                    "unknown variance_scaling distribution '\(kerasName)'; expected one of \(Distribution.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", "))")
            }
            self = d
        }
    }

    /// Keras's snake_case names, the form accepted by `init(name:)` and stored in configs.
    public static let kerasNames = ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
                                    "lecun_normal", "orthogonal", "zeros", "ones", "random_uniform", "random_normal",
                                    "truncated_normal", "constant", "variance_scaling", "identity"]

    /// Keras's snake_case name (`"he_normal"`, `"random_uniform"`, …).
    public var name: String {
        switch self {
        case .glorotUniform: return "glorot_uniform"
        case .glorotNormal: return "glorot_normal"
        case .heUniform: return "he_uniform"
        case .heNormal: return "he_normal"
        case .lecunUniform: return "lecun_uniform"
        case .lecunNormal: return "lecun_normal"
        case .orthogonal: return "orthogonal"
        case .zeros: return "zeros"
        case .ones: return "ones"
        case .randomUniform: return "random_uniform"
        case .randomNormal: return "random_normal"
        case .truncatedNormal: return "truncated_normal"
        case .constant: return "constant"
        case .varianceScaling: return "variance_scaling"
        case .identity: return "identity"
        }
    }

    /// Keras's class name (`"HeNormal"`, `"RandomUniform"`, …).
    public var className: String {
        name.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// The initialiser named like Keras: snake_case (`"he_normal"`) or the class name (`"HeNormal"`);
    /// parameterised ones get Keras's default arguments. Throws naming the valid names otherwise.
    public init(name: String) throws {
        let key = name.lowercased().replacingOccurrences(of: "_", with: "")
        switch key {
        case "glorotuniform": self = .glorotUniform
        case "glorotnormal": self = .glorotNormal
        case "heuniform": self = .heUniform
        case "henormal": self = .heNormal
        case "lecununiform": self = .lecunUniform
        case "lecunnormal": self = .lecunNormal
        case "orthogonal": self = .orthogonal
        case "zeros", "zero": self = .zeros
        case "ones", "one": self = .ones
        case "randomuniform", "uniform": self = .randomUniform()
        case "randomnormal", "normal": self = .randomNormal()
        case "truncatednormal": self = .truncatedNormal()
        case "constant": self = .constant()
        case "variancescaling": self = .varianceScaling()
        case "identity", "identityinitializer": self = .identity()
        default:
            throw LSTMKitError.invalidArgument(
                "unknown initializer '\(name)'; expected one of \(Initializer.kerasNames.map { "'\($0)'" }.joined(separator: ", "))")
        }
    }

    /// How the initialiser is stored in a layer config: its Keras name, or Keras's `{class_name, config}`
    /// form when it has arguments.
    var configValue: ConfigValue {
        switch self {
        case .randomUniform(let lo, let hi):
            return .layer(LayerConfig(className: className, values: ["minval": .double(Double(lo)), "maxval": .double(Double(hi)), "seed": .null]))
        case .randomNormal(let mean, let sd), .truncatedNormal(let mean, let sd):
            return .layer(LayerConfig(className: className, values: ["mean": .double(Double(mean)), "stddev": .double(Double(sd)), "seed": .null]))
        case .constant(let value):
            return .layer(LayerConfig(className: className, values: ["value": .double(Double(value))]))
        case .varianceScaling(let scale, let mode, let distribution):
            return .layer(LayerConfig(className: className, values: ["scale": .double(Double(scale)), "mode": .string(mode.rawValue),
                                                                     "distribution": .string(distribution.rawValue), "seed": .null]))
        case .identity(let gain):
            return .layer(LayerConfig(className: className, values: ["gain": .double(Double(gain))]))
        default:
            return .string(name)
        }
    }

    /// Reads an initialiser from a config value: a name, or `{class_name, config}` (Keras's serialised form).
    init(configValue v: ConfigValue, key: String) throws {
        switch v {
        case .string(let s): try self.init(name: s)
        case .layer(let c):
            let base = try Initializer(name: c.className)
            // Keras 3's variance-scaling family may take its fans from chosen axes; LSTMKit computes them
            // from the shape only (Keras's default), so other axes are refused rather than ignored.
            for axes in ["input_axes", "output_axes"] {
                if let given = c.values[axes], given != .null {
                    throw LSTMKitError.invalidArgument(
                        "initializer \(c.className) in '\(key)': only '\(axes)': null (fans from the shape) is supported, got \(given)")
                }
            }
            func number(_ k: String, _ d: Float) throws -> Float { try c.float(k, default: d, in: "initializer") }
            if base == .orthogonal, let gain = try? number("gain", 1), gain != 1 {
                throw LSTMKitError.invalidArgument("initializer Orthogonal in '\(key)': only gain 1.0 is supported, got \(gain)")
            }
            switch base {
            case .randomUniform: self = .randomUniform(minval: try number("minval", -0.05), maxval: try number("maxval", 0.05))
            case .randomNormal: self = .randomNormal(mean: try number("mean", 0), stddev: try number("stddev", 0.05))
            case .truncatedNormal: self = .truncatedNormal(mean: try number("mean", 0), stddev: try number("stddev", 0.05))
            case .constant: self = .constant(value: try number("value", 0))
            case .identity: self = .identity(gain: try number("gain", 1))
            case .varianceScaling:
                func text(_ k: String, _ d: String) throws -> String {
                    switch c.values[k] {
                    case nil, .null?: return d
                    case .string(let s)?: return s
                    case let other?: throw LSTMKitError.invalidArgument("initializer VarianceScaling in '\(key)' expects '\(k)' to be a string, got \(other)")
                    }
                }
                self = .varianceScaling(scale: try number("scale", 1), mode: try FanMode(kerasName: try text("mode", "fan_in")),
                                        distribution: try Distribution(kerasName: try text("distribution", "truncated_normal")))
            default: self = base
            }
        default:
            throw LSTMKitError.invalidArgument(
                "expected '\(key)' to be an initializer name (\(Initializer.kerasNames.joined(separator: ", "))) or {class_name, config}, got \(v)")
        }
    }

    /// Checks the arguments (a range with minval < maxval, a positive stddev, a positive scale, a 2-D
    /// `shape` for `identity` when one is given); throws naming what was given.
    func validate(_ what: String, shape: [Int]? = nil) throws {
        switch self {
        case .randomUniform(let lo, let hi):
            guard lo.isFinite, hi.isFinite, lo < hi else {
                throw LSTMKitError.invalidArgument("\(what): random_uniform expects finite minval < maxval, got minval \(lo), maxval \(hi)")
            }
        case .randomNormal(let mean, let sd), .truncatedNormal(let mean, let sd):
            guard mean.isFinite, sd.isFinite, sd >= 0 else {
                throw LSTMKitError.invalidArgument("\(what): \(name) expects a finite mean and stddev >= 0, got mean \(mean), stddev \(sd)")
            }
        case .constant(let value):
            guard value.isFinite else { throw LSTMKitError.invalidArgument("\(what): constant expects a finite value, got \(value)") }
        case .varianceScaling(let scale, _, _):
            guard scale.isFinite, scale > 0 else {
                throw LSTMKitError.invalidArgument("\(what): variance_scaling expects a finite scale > 0, got scale \(scale)")
            }
        case .identity(let gain):
            guard gain.isFinite else { throw LSTMKitError.invalidArgument("\(what): identity expects a finite gain, got \(gain)") }
            if let shape { try Initializer.checkMatrix(shape, what) }
        default: break
        }
    }

    /// Throws unless `shape` is 2-D (what `identity` needs), naming the shape given.
    static func checkMatrix(_ shape: [Int], _ what: String) throws {
        guard shape.count == 2 else {
            throw LSTMKitError.invalidArgument(
                "\(what): identity expects a 2-D weight shape (rows, columns), got \(shape) of rank \(shape.count)")
        }
    }

    /// Keras's `compute_fans`.
    static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        switch shape.count {
        case 0: return (1, 1)
        case 1: return (shape[0], shape[0])
        case 2: return (shape[0], shape[1])
        default:
            let receptive = shape.dropLast(2).reduce(1, *)
            return (shape[shape.count - 2] * receptive, shape[shape.count - 1] * receptive)
        }
    }

    /// A new tensor of `shape` drawn from this initialiser.
    func make(_ shape: [Int]) throws -> Tensor {
        let (fanIn, fanOut) = Initializer.fans(shape)
        func varianceScaling(scale: Double, fan: Double, normal: Bool) throws -> Tensor {
            let s = scale / Swift.max(1, fan)
            if normal {
                return Initializer.truncatedNormal(shape, mean: 0, stddev: Float(s.squareRoot() / 0.87962566103423978))
            }
            let limit = Float((3 * s).squareRoot())
            return try .randomUniform(shape, low: -limit, high: limit)
        }
        switch self {
        case .zeros: return try .zeros(shape)
        case .ones: return try .ones(shape)
        case .glorotUniform:
            let limit = Float((6.0 / Double(Swift.max(1, fanIn + fanOut))).squareRoot())
            return try .randomUniform(shape, low: -limit, high: limit)
        case .glorotNormal: return try varianceScaling(scale: 1, fan: Double(fanIn + fanOut) / 2, normal: true)
        case .heUniform: return try varianceScaling(scale: 2, fan: Double(fanIn), normal: false)
        case .heNormal: return try varianceScaling(scale: 2, fan: Double(fanIn), normal: true)
        case .lecunUniform: return try varianceScaling(scale: 1, fan: Double(fanIn), normal: false)
        case .lecunNormal: return try varianceScaling(scale: 1, fan: Double(fanIn), normal: true)
        case .randomUniform(let lo, let hi): return try .randomUniform(shape, low: lo, high: hi)
        case .randomNormal(let mean, let sd): return try .randomNormal(shape, mean: mean, stddev: sd)
        case .truncatedNormal(let mean, let sd): return Initializer.truncatedNormal(shape, mean: mean, stddev: sd)
        case .constant(let value): return try .zeros(shape).map { _ in value }
        case .varianceScaling(let scale, let mode, let distribution):
            let fan: Double
            switch mode {
            case .fanIn: fan = Double(fanIn)
            case .fanOut: fan = Double(fanOut)
            case .fanAvg: fan = Double(fanIn + fanOut) / 2
            }
            let s = Double(scale) / Swift.max(1, fan)
            switch distribution {
            case .truncatedNormal: return Initializer.truncatedNormal(shape, mean: 0, stddev: Float(s.squareRoot() / 0.87962566103423978))
            case .untruncatedNormal: return try .randomNormal(shape, mean: 0, stddev: Float(s.squareRoot()))
            case .uniform:
                let limit = Float((3 * s).squareRoot())
                return try .randomUniform(shape, low: -limit, high: limit)
            }
        case .identity(let gain):
            try Initializer.checkMatrix(shape, "initializer")
            var out = [Float](repeating: 0, count: shape[0] * shape[1])
            for i in 0..<Swift.min(shape[0], shape[1]) { out[i * shape[1] + i] = gain }
            return Tensor(uncheckedShape: shape, scalars: out)
        case .orthogonal:
            return Initializer.orthogonalMatrix(rows: shape.dropLast().reduce(1, *), cols: shape.last ?? 1, shape: shape)
        }
    }

    /// Normal draws with |z| > 2 redrawn (Keras's `truncated_normal`), scaled by `stddev` and shifted by `mean`.
    static func truncatedNormal(_ shape: [Int], mean: Float, stddev: Float) -> Tensor {
        let count = shape.reduce(1, *)
        let z: [Float] = LSTMKit.withGenerator { g in
            var out = [Float](); out.reserveCapacity(count)
            while out.count < count {
                let u1 = Double.random(in: Double.ulpOfOne..<1, using: &g)
                let u2 = Double.random(in: 0..<1, using: &g)
                let r = (-2 * Foundation.log(u1)).squareRoot()
                for v in [r * Foundation.cos(2 * .pi * u2), r * Foundation.sin(2 * .pi * u2)] where abs(v) <= 2 && out.count < count {
                    out.append(Float(v))
                }
            }
            return out
        }
        return Tensor(uncheckedShape: shape, scalars: z.map { mean + stddev * $0 })
    }

    /// Orthonormal rows or columns (whichever is fewer), by modified Gram–Schmidt in Double.
    static func orthogonalMatrix(rows: Int, cols: Int, shape: [Int]) -> Tensor {
        // Work on a tall matrix (n × k, n ≥ k) and orthonormalise its k columns.
        let n = Swift.max(rows, cols), k = Swift.min(rows, cols)
        let g = LSTMKit.normalScalars(count: n * k).map(Double.init)
        var q = [Double](repeating: 0, count: n * k)  // column-major: column j at q[j*n ..< (j+1)*n]
        for j in 0..<k { for i in 0..<n { q[j * n + i] = g[i * k + j] } }
        for j in 0..<k {
            for p in 0..<j {
                var dot = 0.0
                for i in 0..<n { dot += q[p * n + i] * q[j * n + i] }
                for i in 0..<n { q[j * n + i] -= dot * q[p * n + i] }
            }
            var norm = 0.0
            for i in 0..<n { norm += q[j * n + i] * q[j * n + i] }
            norm = norm.squareRoot()
            // Gram–Schmidt's diagonal R entries are positive, which is the sign convention Keras applies.
            for i in 0..<n { q[j * n + i] /= Swift.max(norm, 1e-12) }
        }
        var out = [Float](repeating: 0, count: rows * cols)
        for r in 0..<rows { for c in 0..<cols {
            out[r * cols + c] = Float(rows >= cols ? q[c * n + r] : q[r * n + c])
        } }
        return Tensor(uncheckedShape: shape, scalars: out)
    }
}
