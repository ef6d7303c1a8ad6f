import LSTMKit

extension Plot {
    /// Adds a line through a rank-1 tensor's values (or every value of a larger tensor, in row-major order)
    /// at x = startAt, startAt + 1, …
    public mutating func addLine(_ y: Tensor, name: String? = nil, startAt: Int = 0, dashed: Bool = false,
                                 marker: Marker = .none, color: String? = nil) {
        addLine(y.scalars, name: name, startAt: startAt, dashed: dashed, marker: marker, color: color)
    }

    /// Adds points from an (n, 2) tensor — e.g. 2-D encodings — as a scatter series, one label per row.
    /// - Throws: `DisplayError.invalidArgument` unless `points` has shape (n, 2) and `labels` is empty or has n entries.
    public mutating func addScatter(points: Tensor, labels: [String] = [], name: String? = nil,
                                    marker: Marker = .circle, color: String? = nil) throws {
        guard points.rank == 2, points.shape[1] == 2 else {
            throw DisplayError.invalidArgument("addScatter(points:): expected a tensor of shape (n, 2), got \(shapeText(points.shape))")
        }
        let n = points.shape[0]
        try addScatter(x: (0..<n).map { points.scalars[2 * $0] }, y: (0..<n).map { points.scalars[2 * $0 + 1] },
                       labels: labels, name: name, marker: marker, color: color)
    }
}
