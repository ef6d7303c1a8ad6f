/// Vectorised exp, sigmoid and tanh for the recurrent hot loops (8 lanes at a time).
///
/// glibc's scalar `tanhf` costs ~17 ns a call, more than the matrix products of an LSTM step.
/// These follow the Cephes single-precision algorithms: exp by range reduction x = n·ln2 + r and a
/// degree-6 polynomial in r (≤ 2 ulp); tanh by an odd polynomial for |x| < 0.625 and
/// 1 − 2/(e^{2|x|} + 1) above (≤ 3 ulp), so results agree with libm to ~2e-7 relative.
enum FastMath {
    typealias V = SIMD8<Float>

    @inline(__always)
    static func exp(_ xIn: V) -> V {
        var x = xIn.replacing(with: -87.3, where: xIn .< -87.3)
        x.replace(with: 88.3, where: x .> 88.3)
        // Adding 1.5·2²³ rounds to an integer (|x·log2 e| < 2²²) and leaves it in the low mantissa bits.
        let shifted = x * 1.44269504088896341 + 12582912
        let fx = shifted - 12582912
        x = x - fx * 0.693359375
        x = x + fx * 2.12194440e-4
        let z = x * x
        var y = V(repeating: 1.9875691500e-4)
        y = y * x + 1.3981999507e-3
        y = y * x + 8.3334519073e-3
        y = y * x + 4.1665795894e-2
        y = y * x + 1.6666665459e-1
        y = y * x + 5.0000001201e-1
        y = y * z + x + 1
        // 2^n by building the float's exponent bits.
        let n = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let pow2 = unsafeBitCast((n &+ 127) &<< 23, to: V.self)
        return y * pow2
    }

    @inline(__always)
    static func sigmoid(_ x: V) -> V { 1 / (1 + exp(-x)) }

    @inline(__always)
    static func tanh(_ x: V) -> V {
        let a = x.replacing(with: -x, where: x .< 0)
        // Large |x|: 1 − 2/(e^{2|x|} + 1), with the sign restored.
        let big = 1 - 2 / (exp(2 * a) + 1)
        let signedBig = big.replacing(with: -big, where: x .< 0)
        // Small |x|: x + x³·P(x²).
        let z = x * x
        var p = V(repeating: -5.70498872745e-3)
        p = p * z + 2.06390887954e-2
        p = p * z - 5.37397155531e-2
        p = p * z + 1.33314422036e-1
        p = p * z - 3.33332819422e-1
        let small = p * z * x + x
        return small.replacing(with: signedBig, where: a .>= 0.625)
    }

    /// Applies `f` to `count` floats in place, 8 at a time (the tail is padded).
    @inline(__always)
    static func map(_ p: UnsafeMutablePointer<Float>, _ count: Int, _ f: (V) -> V) {
        var i = 0
        while i + 8 <= count {
            let raw = UnsafeMutableRawPointer(p + i)
            raw.storeBytes(of: f(raw.loadUnaligned(as: V.self)), as: V.self)
            i += 8
        }
        if i < count {
            var v = V(repeating: 0)
            for k in 0..<(count - i) { v[k] = p[i + k] }
            let r = f(v)
            for k in 0..<(count - i) { p[i + k] = r[k] }
        }
    }
}
