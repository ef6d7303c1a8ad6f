import Foundation

/// Axis ticks at "nice" values (1, 2, 2.5 or 5 times a power of ten) covering a data range, and their labels.
///
/// The axis is widened to the first and last tick, so every plot starts and ends on a labelled value.
public struct NiceScale: Equatable, Sendable {
    /// The tick values, ascending; the first and last are the axis limits.
    public let ticks: [Double]
    /// The distance between ticks.
    public let step: Double
    /// Decimals needed to tell tick labels apart.
    public let decimals: Int

    /// Lower axis limit.
    public var lower: Double { ticks.first! }
    /// Upper axis limit.
    public var upper: Double { ticks.last! }

    /// Ticks for data from `min` to `max`, aiming at about `targetCount` ticks.
    /// - Parameters:
    ///   - integerStep: ticks only at whole numbers (epochs, time steps, indices).
    /// A zero-width or non-finite range is widened so that a constant series still gets an axis.
    public init(min: Double, max: Double, targetCount: Int = 6, integerStep: Bool = false) {
        // Beyond ±1e300 the span (hi − lo) and the tick count would overflow to infinity.
        var lo = min.isFinite ? Swift.max(min, -1e300) : 0
        var hi = max.isFinite ? Swift.min(max, 1e300) : 1
        if lo > hi { swap(&lo, &hi) }
        if hi - lo < Swift.max(abs(hi), abs(lo), 1e-12) * 1e-9 {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad
            hi += pad
        }
        var step = Self.niceNumber((hi - lo) / Double(Swift.max(targetCount - 1, 1)), round: true)
        if integerStep { step = Swift.max(1, step.rounded(.up)) }
        let first = (lo / step).rounded(.down) * step
        let last = (hi / step).rounded(.up) * step
        let count = Int(((last - first) / step).rounded()) + 1
        // Multiplying (not accumulating) keeps 0.1 * 3 from drifting to 0.30000000000000004.
        self.ticks = (0..<count).map { i in Self.clean(first + Double(i) * step, step: step) }
        self.step = step
        self.decimals = Swift.max(0, -Int((log10(step)).rounded(.down)) + (Self.isHalfStep(step) && step < 10 ? 1 : 0))
    }

    /// The label for a tick value: fixed decimals, or exponent form for very large or small magnitudes.
    public func label(_ value: Double) -> String {
        if value == 0 { return "0" }
        let magnitude = Swift.max(abs(lower), abs(upper))
        if magnitude >= 1e6 || magnitude < 1e-3 {
            return Self.exponentLabel(value)
        }
        return String(format: "%.\(decimals)f", value)
    }

    /// 1, 2, 2.5, 5 or 10 times a power of ten near `x`.
    static func niceNumber(_ x: Double, round: Bool) -> Double {
        guard x > 0, x.isFinite else { return 1 }
        let exponent = log10(x).rounded(.down)
        let fraction = x / pow(10, exponent)
        let nice: Double
        if round {
            nice = fraction < 1.5 ? 1 : fraction < 2.25 ? 2 : fraction < 3.5 ? 2.5 : fraction < 7.5 ? 5 : 10
        } else {
            nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        }
        return nice * pow(10, exponent)
    }

    /// A step like 2.5 or 0.25 needs one decimal more than its power of ten.
    private static func isHalfStep(_ step: Double) -> Bool {
        let fraction = step / pow(10, log10(step).rounded(.down))
        return abs(fraction - 2.5) < 1e-9
    }

    private static func clean(_ value: Double, step: Double) -> Double {
        let scale = pow(10, Swift.max(0, -log10(step).rounded(.down) + 2))
        let cleaned = (value * scale).rounded() / scale
        return cleaned == 0 ? 0 : cleaned  // no "-0"
    }

    private static func exponentLabel(_ value: Double) -> String {
        var s = String(format: "%.2g", value)  // e.g. "1.5e-05"
        if let e = s.range(of: "e") {
            var mantissa = String(s[..<e.lowerBound])
            var exponent = String(s[e.upperBound...])
            let negative = exponent.hasPrefix("-")
            exponent = String(exponent.drop(while: { $0 == "-" || $0 == "+" || $0 == "0" }))
            if mantissa.contains(".") {
                while mantissa.hasSuffix("0") { mantissa.removeLast() }
                if mantissa.hasSuffix(".") { mantissa.removeLast() }
            }
            s = "\(mantissa)e\(negative ? "-" : "")\(exponent.isEmpty ? "0" : exponent)"
        }
        return s
    }
}

/// Ticks for a base-10 logarithmic axis: the decades covering the data (values must be positive).
/// Exponents are kept within ±300 (beyond, powers of ten leave Double's range) and a range over many
/// decades is labelled every few decades, so there are at most about ten ticks.
struct LogScale {
    let lowerExponent: Int
    let upperExponent: Int
    /// Decades between ticks.
    let stride: Int

    init(min: Double, max: Double) {
        let lo = min > 0 && min.isFinite ? min : 1e-3
        let hi = max > 0 && max.isFinite ? Swift.max(max, lo) : lo * 10
        let lower = Swift.min(Swift.max(Int(log10(lo).rounded(.down)), -300), 299)
        var upper = Swift.min(Swift.max(Int(log10(hi).rounded(.up)), -300), 300)
        if upper <= lower { upper = lower + 1 }
        stride = Swift.max(1, Int((Double(upper - lower) / 9).rounded(.up)))
        lowerExponent = lower
        // The top tick must be a labelled one, so widen to the next multiple of the stride.
        upperExponent = lower + Int((Double(upper - lower) / Double(stride)).rounded(.up)) * stride
    }

    var exponents: [Int] { Array(Swift.stride(from: lowerExponent, through: upperExponent, by: stride)) }

    var ticks: [Double] { exponents.map { pow(10, Double($0)) } }

    func label(exponent e: Int) -> String {
        switch e {
        case 0: return "1"
        case 1: return "10"
        case 2: return "100"
        case -1: return "0.1"
        case -2: return "0.01"
        default: return "1e\(e)"
        }
    }
}
