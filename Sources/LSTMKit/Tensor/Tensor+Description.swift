import Foundation

/// numpy-style printing: `print(Tensor([[0.1, 0.2], [0.3, 0.4]]))` shows `[[0.1 0.2]\n [0.3 0.4]]`.
///
/// Follows numpy's `str()` defaults: up to 8 fractional digits of the shortest round-trip form,
/// columns aligned on the decimal point, scientific notation when the largest magnitude is ≥ 1e8 or
/// the smallest nonzero one is < 1e-4 or their ratio exceeds 1000, lines wrapped at 75 characters,
/// and tensors over 1000 elements elided to the first and last 3 entries of each axis with `...`.
extension Tensor: CustomStringConvertible {
    /// The numpy `str()` form of the tensor.
    public var description: String { NumpyFormatter(self).render() }
}

extension Tensor: CustomDebugStringConvertible {
    /// `Tensor(shape: (2, 2), [[0.1 0.2] …])`, showing the shape as well.
    public var debugDescription: String { "Tensor(shape: \(formatShape(shape)), \(description))" }
}

/// Renders one tensor with numpy's rules (see the `Tensor.description` doc comment).
struct NumpyFormatter {
    let tensor: Tensor
    let lineWidth = 75
    let edgeItems = 3
    let summarize: Bool
    private var exponential = false
    private var padLeft = 0, padRight = 0, precision = 0, expSize = 0

    init(_ t: Tensor) {
        tensor = t
        summarize = t.count > 1000
        let shown = summarize ? visibleScalars() : t.scalars
        configure(shown)
    }

    /// The scalars numpy looks at when choosing widths: only the printed edges of a summarised tensor.
    private func visibleScalars() -> [Float] {
        var out = [Float]()
        func walk(_ axis: Int, _ offset: Int) {
            if axis == tensor.rank { out.append(tensor.scalars[offset]); return }
            let n = tensor.shape[axis], stride = tensor.shape[(axis + 1)...].reduce(1, *)
            let idx = n > 2 * edgeItems ? Array(0..<edgeItems) + Array((n - edgeItems)..<n) : Array(0..<n)
            for i in idx { walk(axis + 1, offset + i * stride) }
        }
        walk(0, 0)
        return out
    }

    /// Shortest round-trip decimal digits of a Float: value = 0.d₁d₂… × 10^exponent.
    static func shortestDigits(_ x: Float) -> (digits: [Character], exponent: Int) {
        let s = "\(Swift.abs(x))"
        let parts = s.split(separator: "e", maxSplits: 1)
        let mantissa = String(parts[0])
        var exp10 = parts.count > 1 ? Int(parts[1].replacingOccurrences(of: "+", with: ""))! : 0
        let pieces = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let intPart = String(pieces[0]), fracPart = pieces.count > 1 ? String(pieces[1]) : ""
        var digits = Array(intPart + fracPart)
        exp10 += intPart.count
        while let f = digits.first, f == "0", digits.count > 1 { digits.removeFirst(); exp10 -= 1 }
        while let l = digits.last, l == "0", digits.count > 1 { digits.removeLast() }
        if digits == ["0"] { exp10 = 1 }
        return (digits, exp10)
    }

    /// Positional form with at most 8 fractional digits and a trailing `.` for integers: `-1.5`, `2.`.
    static func positional(_ x: Float) -> String {
        let (digits, e) = shortestDigits(x)
        var intPart: String, frac: String
        if digits == ["0"] { intPart = "0"; frac = "" }
        else if e <= 0 { intPart = "0"; frac = String(repeating: "0", count: -e) + String(digits) }
        else if e >= digits.count { intPart = String(digits) + String(repeating: "0", count: e - digits.count); frac = "" }
        else { intPart = String(digits[..<e]); frac = String(digits[e...]) }
        if frac.count > 8 {
            // More digits than numpy's precision: round the exact value to 8 places, drop trailing zeros.
            let r = String(format: "%.8f", Double(Swift.abs(x)))
            let p = r.split(separator: ".")
            intPart = String(p[0]); frac = String(p[1])
            while frac.hasSuffix("0") { frac.removeLast() }
        }
        return (x.sign == .minus ? "-" : "") + intPart + "." + frac
    }

    /// Scientific form `d.ddde±XX` from the shortest digits (mantissa not yet padded).
    static func scientific(_ x: Float) -> (mantissa: String, exponent: Int) {
        let (digits, e) = shortestDigits(x)
        let exp = digits == ["0"] ? 0 : e - 1
        let m = String(digits[0]) + "." + String(digits.dropFirst())
        return ((x.sign == .minus ? "-" : "") + m, exp)
    }

    private mutating func configure(_ values: [Float]) {
        let finite = values.filter { $0.isFinite }
        let nonZero = finite.filter { $0 != 0 }.map { Swift.abs($0) }
        if let mx = nonZero.max(), let mn = nonZero.min() {
            exponential = mx >= 1e8 || mn < 0.0001 || mx / mn > 1000
        }
        if finite.isEmpty {
            padLeft = 0; padRight = 0
        } else if exponential {
            let sci = finite.map(NumpyFormatter.scientific)
            precision = sci.map { $0.mantissa.split(separator: ".", omittingEmptySubsequences: false)[1].count }.max() ?? 0
            expSize = Swift.max(2, sci.map { String(Swift.abs($0.exponent)).count }.max() ?? 2)
            padLeft = sci.map { $0.mantissa.split(separator: ".", omittingEmptySubsequences: false)[0].count }.max() ?? 1
            padRight = expSize + 2 + precision
        } else {
            let strs = finite.map(NumpyFormatter.positional)
            padLeft = strs.map { $0.split(separator: ".", omittingEmptySubsequences: false)[0].count }.max() ?? 1
            padRight = strs.map { $0.split(separator: ".", omittingEmptySubsequences: false)[1].count }.max() ?? 0
        }
        if finite.count != values.count {
            let negInf = values.contains { $0.isInfinite && $0 < 0 } ? 1 : 0
            let offset = padRight + 1
            padLeft = Swift.max(padLeft, 3 - offset, 3 + negInf - offset)
        }
    }

    /// One element, padded to the common width.
    func format(_ x: Float) -> String {
        if !x.isFinite {
            let s = x.isNaN ? "nan" : (x < 0 ? "-inf" : "inf")
            return String(repeating: " ", count: Swift.max(0, padLeft + padRight + 1 - s.count)) + s
        }
        var intPart: String, rest: String
        if exponential {
            // numpy pads every mantissa to the common digit count with the value's real digits.
            let f = String(format: "%.\(precision)e", Double(x))
            let parts = f.split(separator: "e")
            var m = String(parts[0])
            if precision == 0 { m += "." }
            let e = Int(parts[1])!
            let p = m.split(separator: ".", omittingEmptySubsequences: false)
            intPart = String(p[0])
            let ed = String(Swift.abs(e))
            rest = String(p[1]) + "e" + (e < 0 ? "-" : "+") + String(repeating: "0", count: Swift.max(0, expSize - ed.count)) + ed
        } else {
            let p = NumpyFormatter.positional(x).split(separator: ".", omittingEmptySubsequences: false)
            intPart = String(p[0])
            rest = String(p[1]) + String(repeating: " ", count: Swift.max(0, padRight - p[1].count))
        }
        return String(repeating: " ", count: Swift.max(0, padLeft - intPart.count)) + intPart + "." + rest
    }

    func render() -> String {
        if tensor.rank == 0 { return format(tensor.scalars[0]) }
        if tensor.count == 0 { return "[]" }   // numpy prints every empty array this way
        return recurse(axis: 0, offset: 0, hangingIndent: " ", currentWidth: lineWidth)
    }

    private func extendLine(_ s: inout String, _ line: inout String, _ word: String, _ width: Int, _ indent: String) {
        if line.count + word.count > width && line.count > indent.count {
            s += line.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) + "\n"
            line = indent
        }
        line += word
    }

    private func recurse(axis: Int, offset: Int, hangingIndent: String, currentWidth: Int) -> String {
        let axesLeft = tensor.rank - axis
        if axesLeft == 0 { return format(tensor.scalars[offset]) }
        let nextIndent = hangingIndent + " ", nextWidth = currentWidth - 1
        let n = tensor.shape[axis], stride = tensor.shape[(axis + 1)...].reduce(1, *)
        let showSummary = summarize && 2 * edgeItems < n
        let leading = showSummary ? edgeItems : 0, trailing = showSummary ? edgeItems : n
        func child(_ i: Int) -> String {
            recurse(axis: axis + 1, offset: offset + i * stride, hangingIndent: nextIndent, currentWidth: nextWidth)
        }
        var s = ""
        if axesLeft == 1 {
            let elemWidth = currentWidth - 1
            var line = hangingIndent
            for i in 0..<leading { extendLine(&s, &line, child(i), elemWidth, hangingIndent); line += " " }
            if showSummary { extendLine(&s, &line, "...", elemWidth, hangingIndent); line += " " }
            if trailing > 1 {
                for i in (n - trailing)..<(n - 1) { extendLine(&s, &line, child(i), elemWidth, hangingIndent); line += " " }
            }
            if n > 0 { extendLine(&s, &line, child(n - 1), elemWidth, hangingIndent) }
            s += line
        } else {
            let lineSep = "\n" + String(repeating: "\n", count: axesLeft - 2)
            for i in 0..<leading { s += hangingIndent + child(i) + lineSep }
            if showSummary { s += hangingIndent + "..." + lineSep }
            if trailing > 1 { for i in (n - trailing)..<(n - 1) { s += hangingIndent + child(i) + lineSep } }
            if n > 0 { s += hangingIndent + child(n - 1) }
        }
        return "[" + String(s.dropFirst(hangingIndent.count)) + "]"
    }
}
