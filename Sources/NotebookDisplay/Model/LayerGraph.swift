/// A model's layer graph as the display helpers draw it: layers, their shapes and parameter counts, and
/// which layer feeds which. Built from an LSTMKit model (`LayerGraph(model)`) or by hand.
public struct LayerGraph: Sendable {
    /// One layer call in the graph.
    public struct Node: Sendable {
        /// Layer name, e.g. `lstm_1`.
        public var name: String
        /// Keras class name, e.g. `LSTM`, `TimeDistributed(Dense)`.
        public var className: String
        /// Input shapes with the batch axis as nil (an RNN's initial states follow its input).
        public var inputShapes: [[Int?]]
        /// Output shapes with the batch axis as nil (an LSTM with returnState has three).
        public var outputShapes: [[Int?]]
        /// Number of weight scalars.
        public var parameterCount: Int
        /// A short description of the settings, e.g. `128 units, relu, return_sequences`.
        public var detail: String?
        /// Incoming edges: (index of the producing node, which of its outputs), in input order.
        public var inbound: [(node: Int, output: Int)]

        /// A node; `inbound` refers to earlier nodes by index.
        public init(name: String, className: String, inputShapes: [[Int?]], outputShapes: [[Int?]],
                    parameterCount: Int = 0, detail: String? = nil, inbound: [(node: Int, output: Int)] = []) {
            self.name = name
            self.className = className
            self.inputShapes = inputShapes
            self.outputShapes = outputShapes
            self.parameterCount = parameterCount
            self.detail = detail
            self.inbound = inbound
        }
    }

    /// The model's name (`sequential`, `functional`, `encoder`, …).
    public var name: String
    /// Nodes in topological order (every inbound index is smaller than the node's own).
    public private(set) var nodes: [Node]

    /// A graph from nodes in topological order.
    /// - Throws: `DisplayError.invalidArgument` when an edge points forward or outside the graph, or to a
    ///   missing output.
    public init(name: String, nodes: [Node]) throws {
        for (i, node) in nodes.enumerated() {
            for edge in node.inbound {
                guard edge.node >= 0, edge.node < i else {
                    throw DisplayError.invalidArgument(
                        "LayerGraph: node \(i) ('\(node.name)') expects inputs from earlier nodes 0..<\(i), got node \(edge.node)")
                }
                guard edge.output >= 0, edge.output < max(nodes[edge.node].outputShapes.count, 1) else {
                    throw DisplayError.invalidArgument(
                        "LayerGraph: '\(node.name)' reads output \(edge.output) of '\(nodes[edge.node].name)', which has \(nodes[edge.node].outputShapes.count) outputs")
                }
            }
        }
        self.name = name
        self.nodes = nodes
    }

    /// Total weight scalars over all nodes (a layer shared by two nodes counts once per name).
    public var totalParameters: Int {
        var seen = Set<String>()
        return nodes.reduce(0) { sum, node in seen.insert(node.name).inserted ? sum + node.parameterCount : sum }
    }

    /// Indices of nodes nothing reads from (the model outputs, for a graph of one model).
    var sinks: [Int] {
        let used = Set(nodes.flatMap { $0.inbound.map(\.node) })
        return nodes.indices.filter { !used.contains($0) }
    }
}
