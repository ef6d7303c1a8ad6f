import Foundation

/// The library's global seeded random generator (SplitMix64).
///
/// Weight initialisers, shuffling in `fit` and dropout masks all draw from it, so
/// `LSTMKit.setRandomSeed(42)` makes a whole notebook reproducible run to run.
/// Access is serialised by a lock because cells may run on different threads.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    /// Next 64 random bits (SplitMix64 step).
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Namespace for library-wide settings (`LSTMKit.setRandomSeed(_:)`).
public enum LSTMKit {
    nonisolated(unsafe) private static var generator = SeededGenerator(seed: 0x5EED_1234)

    /// Recursive, so that a random function called inside `withGenerator`'s body on the same thread does
    /// not wait for itself.
    private static let lock = NSRecursiveLock()

    /// Reseeds the global generator: initialisers, shuffling and dropout become reproducible.
    public static func setRandomSeed(_ seed: Int) {
        lock.lock(); defer { lock.unlock() }
        generator = SeededGenerator(seed: UInt64(bitPattern: Int64(seed)))
    }

    /// Runs `body` with exclusive access to the global generator. LSTMKit's own random functions called inside
    /// `body` (on the same thread) do not wait for it, which would never end: they draw from the generator as
    /// it was when `body` began, and `body`'s draws are the ones kept. Use the generator passed in.
    public static func withGenerator<R>(_ body: (inout SeededGenerator) throws -> R) rethrows -> R {
        lock.lock(); defer { lock.unlock() }
        // The body works on a copy, so that a nested call (same thread) has its own to draw from.
        var local = generator
        defer { generator = local }
        return try body(&local)
    }

    /// A uniform Float in [low, high) from the global generator; `low` itself when the interval is empty or
    /// not finite (e.g. `uniform(1, 1)`, `uniform(1, 0)`), where Swift's own `Float.random(in:)` would trap.
    public static func uniform(_ low: Float, _ high: Float) -> Float {
        guard low < high, low.isFinite, high.isFinite else { return low }
        return withGenerator { Float.random(in: low..<high, using: &$0) }
    }

    /// `count` uniform Floats in [low, high) from the global generator (one lock for all); `low` repeated
    /// when `low == high` (callers check the bounds).
    static func uniformScalars(count: Int, low: Float, high: Float) -> [Float] {
        guard low < high else { return [Float](repeating: low, count: count) }
        return withGenerator { g in (0..<count).map { _ in Float.random(in: low..<high, using: &g) } }
    }

    /// `count` standard normal Floats (Box–Muller) from the global generator.
    static func normalScalars(count: Int, mean: Float = 0, stddev: Float = 1) -> [Float] {
        withGenerator { g in
            var out = [Float](); out.reserveCapacity(count)
            while out.count < count {
                let u1 = Double.random(in: Double.ulpOfOne..<1, using: &g)
                let u2 = Double.random(in: 0..<1, using: &g)
                let r = (-2 * Foundation.log(u1)).squareRoot()
                out.append(mean + stddev * Float(r * Foundation.cos(2 * .pi * u2)))
                if out.count < count { out.append(mean + stddev * Float(r * Foundation.sin(2 * .pi * u2))) }
            }
            return out
        }
    }

    /// A random permutation of 0..<n from the global generator (used by `fit` shuffling); empty for n ≤ 0.
    public static func permutation(_ n: Int) -> [Int] {
        guard n > 0 else { return [] }
        return withGenerator { g in Array(0..<n).shuffled(using: &g) }
    }
}
