import Foundation

/// A picture of a model's layer graph, like Keras's `plot_model(model, show_shapes=True)` but drawn
/// without Graphviz: one box per layer (name, type, settings, input → output shapes), arrows for the
/// data flow, top to bottom; functional graphs with several inputs or outputs branch.
public struct ModelDiagram: NotebookDisplayable, Sendable {
    /// The graph drawn.
    public var graph: LayerGraph
    /// Whether boxes list input and output shapes.
    public var showShapes: Bool
    /// Whether boxes list parameter counts.
    public var showParameters: Bool
    /// Layer names drawn emphasised (e.g. the encoder's bottleneck).
    public var highlighted: Set<String>

    /// A diagram of `graph`.
    public init(_ graph: LayerGraph, showShapes: Bool = true, showParameters: Bool = false, highlighted: Set<String> = []) {
        self.graph = graph
        self.showShapes = showShapes
        self.showParameters = showParameters
        self.highlighted = highlighted
    }

    /// The diagram as a standalone SVG document.
    public var svg: String { ModelDiagramLayout(diagram: self).render() }

    /// One line per layer with its inputs, for terminals.
    public var textSummary: String {
        var lines = ["Model \"\(graph.name)\": \(graph.nodes.count) layers"]
        for node in graph.nodes {
            var line = "  \(node.name) (\(node.className))"
            if !node.inbound.isEmpty {
                line += " ← " + node.inbound.map { graph.nodes[$0.node].name }.joined(separator: ", ")
            }
            if showShapes { line += "  " + node.outputShapes.map(kerasShapeText).joined(separator: ", ") }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// `Model autoencoder: input_layer → lstm → …`, the SVG's title and the `<img>` alt text.
    public var altText: String { "Model \(graph.name): " + graph.nodes.map(\.name).joined(separator: " → ") }

    /// SVG, the SVG as an `<img>` with alt text (HTML), and the text listing.
    public var mimeBundle: MIMEBundle { MIMEBundle.figure(svg: svg, alt: altText, plainText: textSummary) }

    /// The lines written in a node's box: title first, then settings, shapes and parameters.
    func boxLines(_ node: LayerGraph.Node) -> [String] {
        var lines = ["\(node.name) (\(node.className))"]
        if let detail = node.detail, !detail.isEmpty { lines.append(detail) }
        if showShapes {
            lines += shapeLines("input", node.inputShapes)
            lines += shapeLines("output", node.outputShapes)
        }
        if showParameters { lines.append("params: \(groupedThousands(node.parameterCount))") }
        return lines
    }

    private func shapeLines(_ label: String, _ shapes: [[Int?]]) -> [String] {
        switch shapes.count {
        case 0: return []
        case 1: return ["\(label): \(kerasShapeText(shapes[0]))"]
        default: return shapes.enumerated().map { "\(label) \($0.offset): \(kerasShapeText($0.element))" }
        }
    }
}

/// Builds `ModelDiagram`'s layered layout: ranks by longest path from the inputs, dummy points for edges
/// that skip ranks (so they route around boxes), barycentre ordering to reduce crossings, and each box
/// centred under the boxes feeding it.
struct ModelDiagramLayout {
    let diagram: ModelDiagram

    private enum Item: Hashable { case node(Int), dummy(edge: Int, rank: Int) }
    private struct Edge { let from: Int, output: Int, to: Int, inputIndex: Int }

    private static let lineHeight = 16.0, padding = 10.0, rankGap = 46.0, itemGap = 28.0, margin = 16.0

    func render() -> String {
        let nodes = diagram.graph.nodes
        guard !nodes.isEmpty else {
            var svg = SVGBuilder(width: 240, height: 60)
            svg.text(120, 34, "empty model", size: 13, anchor: .middle, fill: "#888888")
            return svg.document
        }
        // Ranks: longest path from a source.
        var rank = [Int](repeating: 0, count: nodes.count)
        for (i, n) in nodes.enumerated() { rank[i] = n.inbound.map { rank[$0.node] + 1 }.max() ?? 0 }
        let edges = nodes.enumerated().flatMap { i, n in
            n.inbound.enumerated().map { Edge(from: $0.element.node, output: $0.element.output, to: i, inputIndex: $0.offset) }
        }
        var rows = [[Item]](repeating: [], count: (rank.max() ?? 0) + 1)
        for i in nodes.indices { rows[rank[i]].append(.node(i)) }
        for (e, edge) in edges.enumerated() where rank[edge.to] - rank[edge.from] > 1 {
            for r in (rank[edge.from] + 1)..<rank[edge.to] { rows[r].append(.dummy(edge: e, rank: r)) }
        }
        // Who sits directly above an item (for ordering and centring).
        func parents(_ item: Item) -> [Item] {
            switch item {
            case .node(let i):
                return nodes[i].inbound.compactMap { src -> Item? in
                    let gap = rank[i] - rank[src.node]
                    if gap == 1 { return .node(src.node) }
                    let e = edges.firstIndex { $0.from == src.node && $0.to == i && $0.output == src.output }!
                    return .dummy(edge: e, rank: rank[i] - 1)
                }
            case .dummy(let e, let r):
                return r - 1 == rank[edges[e].from] ? [.node(edges[e].from)] : [.dummy(edge: e, rank: r - 1)]
            }
        }
        // Barycentre ordering, a few top-down sweeps.
        for _ in 0..<4 {
            for r in 1..<rows.count {
                let above = Dictionary(uniqueKeysWithValues: rows[r - 1].enumerated().map { ($0.element, Double($0.offset)) })
                let keyed = rows[r].enumerated().map { offset, item -> (Double, Int, Item) in
                    let ps = parents(item).compactMap { above[$0] }
                    return (ps.isEmpty ? Double(offset) : ps.reduce(0, +) / Double(ps.count), offset, item)
                }
                rows[r] = keyed.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
            }
        }
        // Box sizes.
        let lines = nodes.map(diagram.boxLines)
        let widths: [Item: Double] = Dictionary(uniqueKeysWithValues: rows.flatMap { $0 }.map { item -> (Item, Double) in
            switch item {
            case .node(let i):
                let w = lines[i].enumerated().map { k, text in
                    k == 0 ? estimatedTextWidth(text, size: 13, bold: true)
                        : estimatedTextWidth(text, size: 12, monospace: isShapeLine(text))
                }.max() ?? 0
                return (item, max(150, w + 2 * Self.padding))
            case .dummy: return (item, 8)
            }
        })
        func height(_ item: Item) -> Double {
            if case .node(let i) = item { return Double(lines[i].count) * Self.lineHeight + 2 * Self.padding - 2 }
            return 0
        }
        // x centres: first row side by side; later rows under their parents, pushed apart to avoid overlap.
        var center: [Item: Double] = [:]
        for (r, row) in rows.enumerated() {
            var desired = row.map { item -> Double in
                let ps = parents(item).compactMap { center[$0] }
                return ps.isEmpty ? 0 : ps.reduce(0, +) / Double(ps.count)
            }
            if r == 0 || desired.allSatisfy({ $0 == 0 }) && parents(row[0]).isEmpty {
                var x = 0.0
                desired = row.map { item in
                    defer { x += widths[item]! + Self.itemGap }
                    return x + widths[item]! / 2
                }
            }
            for k in row.indices.dropFirst() {
                let minimum = desired[k - 1] + (widths[row[k - 1]]! + widths[row[k]]!) / 2 + Self.itemGap
                desired[k] = max(desired[k], minimum)
            }
            // Pushing right drifts a row; recentre it on its parents' mean so branches stay symmetric.
            let ps = row.flatMap(parents).compactMap { center[$0] }
            if r > 0, !ps.isEmpty {
                let shift = ps.reduce(0, +) / Double(ps.count) - (desired.first! + desired.last!) / 2
                desired = desired.map { $0 + shift }
            }
            for (item, x) in zip(row, desired) { center[item] = x }
        }
        let minX = rows.flatMap { $0 }.map { center[$0]! - widths[$0]! / 2 }.min()!
        let maxX = rows.flatMap { $0 }.map { center[$0]! + widths[$0]! / 2 }.max()!
        var top: [Double] = []
        var y = Self.margin
        for row in rows {
            top.append(y)
            y += (row.map(height).max() ?? 0) + Self.rankGap
        }
        let totalWidth = maxX - minX + 2 * Self.margin
        let totalHeight = y - Self.rankGap + Self.margin
        func cx(_ item: Item) -> Double { center[item]! - minX + Self.margin }

        var svg = SVGBuilder(width: totalWidth, height: totalHeight)
        svg.accessibleTitle = diagram.altText
        // Edges first, so boxes sit on top of their ends.
        // Several outputs (an LSTM's output, state_h, state_c) or inputs leave and enter at spread ports.
        func port(_ index: Int, of count: Int, width: Double) -> Double {
            guard count > 1 else { return 0 }
            let spacing = min(width / Double(count + 1), 56)
            return (Double(index) - Double(count - 1) / 2) * spacing
        }
        func outPort(_ node: Int, _ output: Int) -> Double {
            let used = Set(edges.filter { $0.from == node }.map(\.output)).sorted()
            return port(used.firstIndex(of: output) ?? 0, of: used.count, width: widths[.node(node)]!)
        }
        // Entry ports follow the sources' left-to-right order, so incoming edges do not cross.
        func inPort(_ node: Int, _ input: Int) -> Double {
            let sourceX = edges.filter { $0.to == node }.map { edge -> (Double, Int) in
                let firstHop: Item = rank[node] - rank[edge.from] > 1 ? .dummy(edge: edges.firstIndex { $0.to == edge.to && $0.inputIndex == edge.inputIndex }!, rank: rank[node] - 1) : .node(edge.from)
                return (center[firstHop]! + (rank[node] - rank[edge.from] > 1 ? 0 : outPort(edge.from, edge.output)), edge.inputIndex)
            }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
            let slot = sourceX.firstIndex { $0.1 == input } ?? input
            return port(slot, of: nodes[node].inbound.count, width: widths[.node(node)]!)
        }
        for (e, edge) in edges.enumerated() {
            let from = Item.node(edge.from), to = Item.node(edge.to)
            var points = [(cx(from) + outPort(edge.from, edge.output), top[rank[edge.from]] + height(from))]
            for r in (rank[edge.from] + 1)..<max(rank[edge.to], rank[edge.from] + 1) {
                let d = Item.dummy(edge: e, rank: r)
                points.append((cx(d), top[r]))
                points.append((cx(d), top[r] + (rows[r].map(height).max() ?? 0)))
            }
            points.append((cx(to) + inPort(edge.to, edge.inputIndex), top[rank[edge.to]] - 7))
            svg.path(smoothPath(points), fill: "none", stroke: "#555555", width: 1.4)
            let end = points.last!
            svg.path("M\(svgNumber(end.0 - 5)),\(svgNumber(end.1)) L\(svgNumber(end.0 + 5)),\(svgNumber(end.1)) L\(svgNumber(end.0)),\(svgNumber(end.1 + 7)) Z", fill: "#555555")
            if nodes[edge.from].outputShapes.count > 1 {
                let label = outputName(nodes[edge.from], edge.output)
                svg.text(points[0].0 + 3, points[0].1 + 12, label, size: 10, fill: "#7a4b00")
            }
        }
        for (i, node) in nodes.enumerated() {
            let item = Item.node(i)
            let w = widths[item]!, h = height(item)
            let x = cx(item) - w / 2, y0 = top[rank[i]]
            let (fill, stroke) = colors(for: node.className)
            let emphasised = diagram.highlighted.contains(node.name)
            svg.rect(x, y0, w, h, fill: fill, stroke: emphasised ? "#D55E00" : stroke, strokeWidth: emphasised ? 3 : 1.2, radius: 6)
            for (k, text) in lines[i].enumerated() {
                let baseline = y0 + Self.padding + Self.lineHeight * Double(k) + 11
                if k == 0 {
                    svg.text(cx(item), baseline, text, size: 13, anchor: .middle, weight: "bold")
                } else {
                    let isShape = isShapeLine(text)
                    svg.text(cx(item), baseline, text, size: 12, anchor: .middle, fill: isShape ? "#222222" : "#555555", monospace: isShape)
                }
            }
        }
        return svg.document
    }

    private func isShapeLine(_ text: String) -> Bool { text.hasPrefix("input") || text.hasPrefix("output") }

    /// Names of an RNN's outputs as Keras documents them; otherwise the index.
    private func outputName(_ node: LayerGraph.Node, _ index: Int) -> String {
        let recurrent = ["LSTM", "GRU", "SimpleRNN"].contains { node.className.contains($0) }
        if recurrent {
            let names = node.outputShapes.count == 3 ? ["output", "state_h", "state_c"] : ["output", "state"]
            if index < names.count { return names[index] }
        }
        return "output \(index)"
    }

    private func colors(for className: String) -> (String, String) {
        if className == "InputLayer" { return ("#eeeeee", "#888888") }
        if ["LSTM", "GRU", "SimpleRNN", "Bidirectional"].contains(where: className.contains) { return ("#dcebf7", "#3d7ab8") }
        if className.contains("Dense") { return ("#def2e4", "#2e8b57") }
        return ("#fdf3d7", "#b8860b")
    }

    /// A path through the points with vertical tangents at each bend, so edges leave and enter boxes
    /// straight down.
    private func smoothPath(_ points: [(Double, Double)]) -> String {
        var d = "M\(svgNumber(points[0].0)),\(svgNumber(points[0].1))"
        for (a, b) in zip(points, points.dropFirst()) {
            if a.0 == b.0 {
                d += " L\(svgNumber(b.0)),\(svgNumber(b.1))"
            } else {
                let mid = (a.1 + b.1) / 2
                d += " C\(svgNumber(a.0)),\(svgNumber(mid)) \(svgNumber(b.0)),\(svgNumber(mid)) \(svgNumber(b.0)),\(svgNumber(b.1))"
            }
        }
        return d
    }
}

/// 248578 → "248,578", as Keras prints parameter counts.
func groupedThousands(_ n: Int) -> String {
    let digits = String(abs(n))
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
        out.append(ch)
    }
    return (n < 0 ? "-" : "") + out
}
