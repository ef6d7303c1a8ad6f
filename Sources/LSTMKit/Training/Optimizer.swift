import Foundation

/// Base class of the optimisers: applies each parameter's accumulated `grad` to its `value`.
///
/// Per-parameter state ("slots": Adam's m and v, SGD's momentum, RMSprop's velocity) is created for
/// every trainable parameter on the first update, as Keras builds its optimizer. Keras counts those
/// slots plus two scalars (`iteration`, `learning_rate`) as "Optimizer params" in `summary()`.
public class Optimizer {
    /// Step size.
    public var learningRate: Float
    /// Number of updates applied so far (Keras's `optimizer.iterations`).
    public internal(set) var iterations: Int = 0
    /// Slots per parameter, keyed by the parameter's identity (buffers, so an update can hold pointers to
    /// all of them at once).
    var slots: [ObjectIdentifier: [FloatBuffer]] = [:]
    /// Parameters the optimizer was built for, in order (for the summary's byte count).
    var builtFor: [Parameter] = []

    init(learningRate: Float) { self.learningRate = learningRate }

    /// Keras class name: `Adam`, `SGD`, `RMSprop`.
    public var className: String { preconditionFailure("internal: \(type(of: self)) must override className") }

    /// How many slot arrays (each the size of its parameter) this optimizer keeps per parameter.
    var slotsPerParameter: Int { slotNames.count }

    /// Names of the slot arrays in the order `apply` keeps them; they name the saved state
    /// (`optimizer/adam/m/<weight>`).
    var slotNames: [String] { [] }

    /// Arguments in Keras's names, for saving and display.
    public var config: [String: Double] { ["learning_rate": Double(learningRate)] }

    /// Whether the optimizer has state (it has made at least one update).
    public var isBuilt: Bool { !builtFor.isEmpty || iterations > 0 }

    /// Number of scalars of optimizer state, as Keras's summary counts it (0 before the first update).
    public var variableCount: Int {
        guard isBuilt else { return 0 }
        return 2 + builtFor.reduce(0) { $0 + $1.count * slotsPerParameter }
    }

    /// Applies one update to `parameters` using their `grad`, then advances `iterations`.
    ///
    /// The rules are elementwise, so the rows of a matrix whose products are split by rows
    /// (`Parameter.ownedByRows`) are updated by the cores that own them (`WeightRows`): its weights,
    /// gradient and slots stay in that core's cache. All parameters are updated in one hand-off: each
    /// core walks the list and updates its rows of every split matrix; the caller also takes the rest.
    public func update(_ parameters: [Parameter]) {
        let trainable = parameters.filter(\.trainable)
        if builtFor.isEmpty { builtFor = trainable }
        let step = iterations + 1
        defer { iterations = step }
        // A parameter listed twice is updated twice, in turn, as Keras would apply two gradients.
        guard Set(trainable.map(ObjectIdentifier.init)).count == trainable.count else {
            for p in trainable { update([p], step: step) }
            return
        }
        update(trainable, step: step)
    }

    /// One update of `parameters` (distinct) at `step`.
    private func update(_ parameters: [Parameter], step: Int) {
        // Slots of another size (the value was replaced by a tensor of another shape) start again from zeros.
        let states = parameters.map { p in
            slots[ObjectIdentifier(p)].flatMap { s in s.allSatisfy { $0.count == p.count } ? s : nil }
                ?? (0..<slotsPerParameter).map { _ in FloatBuffer(p.count) }
        }
        // At most `batch` parameters are open at once (each holds a few stack frames while open).
        let batch = 32
        for start in stride(from: 0, to: parameters.count, by: batch) {
            let end = Swift.min(start + batch, parameters.count)
            var items: [UpdateItem] = []
            items.reserveCapacity(end - start)
            withItems(parameters[start..<end], states[start..<end], &items) { items in
                let body = { (owner: Int) in
                    for item in items {
                        guard let r = WeightRows.ownedRange(owner, rows: item.rows, count: item.count) else { continue }
                        self.apply(weights: item.w + r.lowerBound, gradient: item.g + r.lowerBound,
                                   slots: item.slots.map { $0 + r.lowerBound }, count: r.count, step: step)
                    }
                }
                // No hand-off when no weight is split (everything is owner 0's).
                if items.contains(where: { WeightRows.updatesByRows(rows: $0.rows, count: $0.count) }) {
                    WeightRows.runOwnerBlocks(body)
                } else {
                    body(0)
                }
            }
        }
        for (p, state) in zip(parameters, states) { slots[ObjectIdentifier(p)] = state }
    }

    /// Stands in for the storage of an empty weight (never read or written).
    nonisolated(unsafe) private static let nowhere = UnsafeMutablePointer<Float>.allocate(capacity: 1)

    /// Pointers to one parameter's weights, gradient and slots for the length of an update.
    private struct UpdateItem {
        let w: UnsafeMutablePointer<Float>
        let g: UnsafePointer<Float>
        let slots: [UnsafeMutablePointer<Float>]
        let count: Int
        let rows: Int
    }

    /// Opens each parameter's weights and gradient in turn and calls `body` with all of them open.
    private func withItems(_ parameters: ArraySlice<Parameter>, _ states: ArraySlice<[FloatBuffer]>, _ items: inout [UpdateItem],
                           _ body: ([UpdateItem]) -> Void) {
        guard let p = parameters.first, let state = states.first else { body(items); return }
        let grad = p.grad, rows = p.ownedRows
        grad.withUnsafeBufferPointer { g in
            p.value.withUnsafeMutableBufferPointer { w in
                // A gradient of another size than the weights (the value was replaced after the backward pass)
                // is not applied: the update would read past one of them. The next call of the layer throws.
                if let wp = w.baseAddress, let gp = g.baseAddress, g.count == w.count {
                    items.append(UpdateItem(w: wp, g: gp, slots: state.map(\.p), count: w.count, rows: rows))
                } else {
                    // Nothing to update.
                    items.append(UpdateItem(w: Optimizer.nowhere, g: Optimizer.nowhere, slots: state.map(\.p), count: 0, rows: 1))
                }
                withItems(parameters.dropFirst(), states.dropFirst(), &items, body)
            }
        }
    }

    /// Forgets all state (slots and step count), as a freshly constructed optimizer.
    public func reset() {
        slots = [:]
        builtFor = []
        iterations = 0
    }

    /// The update rule over `count` elements of one parameter (`slots` point at the same elements of each
    /// slot array, in `slotNames` order); `step` is the 1-based update number. Called concurrently for
    /// disjoint ranges of one parameter.
    func apply(weights w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, slots: [UnsafeMutablePointer<Float>],
               count: Int, step: Int) {
        preconditionFailure("internal: \(type(of: self)) must override apply")
    }

    /// The optimizer named like Keras (`"adam"`, `"sgd"`, `"rmsprop"`) with its default arguments.
    public static func named(_ name: String) throws -> Optimizer {
        switch name.lowercased() {
        case "adam": return Adam()
        case "sgd": return SGD()
        case "rmsprop": return RMSprop()
        default:
            throw LSTMKitError.invalidArgument("unknown optimizer '\(name)'; expected one of 'adam', 'sgd', 'rmsprop'")
        }
    }

    /// Rebuilds an optimizer from `className` and `config` (as saved); throws for unknown names.
    public static func make(className: String, config: [String: Double]) throws -> Optimizer {
        let lr = Float(config["learning_rate"] ?? 0.001)
        switch className {
        case "Adam":
            return Adam(learningRate: lr, beta1: Float(config["beta_1"] ?? 0.9), beta2: Float(config["beta_2"] ?? 0.999),
                        epsilon: Float(config["epsilon"] ?? 1e-7))
        case "SGD":
            return SGD(learningRate: Float(config["learning_rate"] ?? 0.01), momentum: Float(config["momentum"] ?? 0),
                       nesterov: (config["nesterov"] ?? 0) != 0)
        case "RMSprop":
            return RMSprop(learningRate: lr, rho: Float(config["rho"] ?? 0.9), momentum: Float(config["momentum"] ?? 0),
                           epsilon: Float(config["epsilon"] ?? 1e-7), centered: (config["centered"] ?? 0) != 0)
        default:
            throw LSTMKitError.invalidArgument("unknown optimizer class '\(className)'; expected 'Adam', 'SGD' or 'RMSprop'")
        }
    }
}

/// Adam, exactly as Keras 3 computes it (in Float32). With t the 1-based step:
/// `m += (g − m)(1 − β1)`, `v += (g² − v)(1 − β2)`, `α = lr·√(1 − β2ᵗ)/(1 − β1ᵗ)`, `w −= α·m/(√v + ε)`.
public final class Adam: Optimizer {
    /// Decay of the first moment.
    public let beta1: Float
    /// Decay of the second moment.
    public let beta2: Float
    /// Added to √v (Keras's "epsilon hat").
    public let epsilon: Float

    /// Keras's defaults: learningRate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7.
    public init(learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        super.init(learningRate: learningRate)
    }

    public override var className: String { "Adam" }
    override var slotNames: [String] { ["m", "v"] }
    public override var config: [String: Double] {
        ["learning_rate": Double(learningRate), "beta_1": Double(beta1), "beta_2": Double(beta2), "epsilon": Double(epsilon)]
    }

    override func apply(weights w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, slots: [UnsafeMutablePointer<Float>],
                        count: Int, step: Int) {
        let t = Float(step)
        let alpha = learningRate * (1 - Foundation.pow(beta2, t)).squareRoot() / (1 - Foundation.pow(beta1, t))
        // One fused pass in C, vectorised for the widest instruction set available (see `Kernels`).
        Kernels.adamUpdate(weights: w, gradient: g, first: slots[0], second: slots[1], count: count,
                           alpha: alpha, b1c: 1 - beta1, b2c: 1 - beta2, eps: epsilon)
    }
}

/// Stochastic gradient descent, with optional (Nesterov) momentum, as Keras 3 computes it:
/// `m = μ·m − lr·g`; then `w += m`, or with Nesterov `w += μ·m − lr·g`; without momentum `w −= lr·g`.
public final class SGD: Optimizer {
    /// Momentum μ (0 = plain SGD).
    public let momentum: Float
    /// Whether to use Nesterov momentum.
    public let nesterov: Bool

    /// Keras's defaults: learningRate 0.01, momentum 0, nesterov false.
    public init(learningRate: Float = 0.01, momentum: Float = 0, nesterov: Bool = false) {
        self.momentum = momentum
        self.nesterov = nesterov
        super.init(learningRate: learningRate)
    }

    public override var className: String { "SGD" }
    override var slotNames: [String] { momentum != 0 ? ["momentum"] : [] }
    public override var config: [String: Double] {
        ["learning_rate": Double(learningRate), "momentum": Double(momentum), "nesterov": nesterov ? 1 : 0]
    }

    override func apply(weights w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, slots: [UnsafeMutablePointer<Float>],
                        count: Int, step: Int) {
        let lr = learningRate
        guard momentum != 0 else {
            for i in 0..<count { w[i] -= g[i] * lr }
            return
        }
        let mu = momentum, nesterov = self.nesterov, m = slots[0]
        for i in 0..<count {
            m[i] = m[i] * mu - g[i] * lr
            w[i] += nesterov ? (m[i] * mu - g[i] * lr) : m[i]
        }
    }
}

/// RMSprop as Keras 3 computes it: `v = ρ·v + (1 − ρ)·g²`, `Δ = lr·g/√(v + ε)` (ε inside the root),
/// `w −= Δ`; with momentum `m = μ·m + Δ`, `w −= m`; centered subtracts the squared mean gradient.
public final class RMSprop: Optimizer {
    /// Decay of the squared-gradient average.
    public let rho: Float
    /// Momentum μ (0 = none).
    public let momentum: Float
    /// Added to v inside the square root.
    public let epsilon: Float
    /// Whether to normalise by the gradient's variance instead of its second moment.
    public let centered: Bool

    /// Keras's defaults: learningRate 0.001, rho 0.9, momentum 0, epsilon 1e-7, centered false.
    public init(learningRate: Float = 0.001, rho: Float = 0.9, momentum: Float = 0, epsilon: Float = 1e-7,
                centered: Bool = false) {
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered
        super.init(learningRate: learningRate)
    }

    public override var className: String { "RMSprop" }
    override var slotNames: [String] { ["velocity"] + (momentum > 0 ? ["momentum"] : []) + (centered ? ["average_gradient"] : []) }
    public override var config: [String: Double] {
        ["learning_rate": Double(learningRate), "rho": Double(rho), "momentum": Double(momentum),
         "epsilon": Double(epsilon), "centered": centered ? 1 : 0]
    }

    override func apply(weights w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, slots: [UnsafeMutablePointer<Float>],
                        count: Int, step: Int) {
        let (lr, r, eps, mu) = (learningRate, rho, epsilon, momentum)
        let centered = self.centered, hasMomentum = momentum > 0
        // Slots in `slotNames` order: velocity, then momentum (if any), then the average gradient (if centered).
        let v = slots[0], m: UnsafeMutablePointer<Float>? = hasMomentum ? slots[1] : nil
        let a: UnsafeMutablePointer<Float>? = centered ? slots[hasMomentum ? 2 : 1] : nil
        for i in 0..<count {
            v[i] = r * v[i] + (1 - r) * (g[i] * g[i])
            var denominator = v[i] + eps
            if let a {
                a[i] = r * a[i] + (1 - r) * g[i]
                denominator = v[i] - a[i] * a[i] + eps
            }
            let increment = (lr * g[i]) / denominator.squareRoot()
            if let m {
                m[i] = mu * m[i] + increment
                w[i] -= m[i]
            } else {
                w[i] -= increment
            }
        }
    }
}
