/// Converts between Unicode-scalar offsets (Jupyter's cursor) and UTF-8 offsets (swift-syntax's positions).
struct ScalarOffsets {
    /// UTF-8 offset of each scalar, plus the end.
    private let starts: [Int]

    init(_ text: String) {
        var starts: [Int] = []
        var utf8 = 0
        for scalar in text.unicodeScalars {
            starts.append(utf8)
            utf8 += UTF8.width(scalar)
        }
        starts.append(utf8)
        self.starts = starts
    }

    func utf8Offset(ofScalar offset: Int) -> Int { starts[min(max(0, offset), starts.count - 1)] }

    /// The scalar starting at (or containing) `utf8`.
    func scalarOffset(ofUTF8 utf8: Int) -> Int {
        var low = 0
        var high = starts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if starts[mid] <= utf8 { low = mid } else { high = mid - 1 }
        }
        return low
    }
}
