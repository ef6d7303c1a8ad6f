/// Finds identifiers in cell text by Unicode-scalar offsets, the unit Jupyter's cursor positions use.
/// Cheap and tolerant of half-typed code, where a parser would see errors.
enum IdentifierScanner {
    /// Whether `scalar` can appear inside a Swift identifier (`$` for closure arguments like `$0`).
    static func isIdentifierScalar(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || scalar == "$" || scalar.properties.isXIDContinue
    }

    /// Where the identifier that ends at `offset` starts (`offset` itself when none does).
    static func tokenStart(in code: String, before offset: Int) -> Int {
        let scalars = Array(code.unicodeScalars)
        var start = min(max(0, offset), scalars.count)
        while start > 0, isIdentifierScalar(scalars[start - 1]) { start -= 1 }
        return start
    }

    /// Every identifier-shaped word in `text` that starts with a letter or `_`, in order of first
    /// appearance, skipping the scalar range `excluded` (the word being typed).
    static func identifiers(in text: String, excluding excluded: Range<Int>? = nil) -> [String] {
        var words: [String] = []
        var seen = Set<String>()
        var current = String.UnicodeScalarView()
        var currentStart = 0
        var inComment = false
        var previous: Unicode.Scalar?
        func flush() {
            defer { current = String.UnicodeScalarView() }
            guard let first = current.first, first == "_" || first.properties.isXIDStart else { return }
            if let excluded, excluded.lowerBound == currentStart { return }
            let word = String(current)
            if seen.insert(word).inserted { words.append(word) }
        }
        for (offset, scalar) in text.unicodeScalars.enumerated() {
            defer { previous = scalar }
            if inComment {
                if scalar == "\n" { inComment = false }
                continue
            }
            if scalar == "/" && previous == "/" {
                current = String.UnicodeScalarView()
                inComment = true
                continue
            }
            if isIdentifierScalar(scalar) && scalar != "$" {
                if current.isEmpty { currentStart = offset }
                current.append(scalar)
            } else {
                flush()
            }
        }
        flush()
        return words
    }
}
