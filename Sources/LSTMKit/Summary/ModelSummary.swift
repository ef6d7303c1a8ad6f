import Foundation

/// The data of Keras's `model.summary()` table, and its exact text rendering.
///
/// `Model.summaryTable()` fills it; `text` renders it like Keras 3 (box drawing, wrapped cells, totals
/// with byte sizes). NotebookDisplay renders the same rows as HTML.
public struct ModelSummary: Equatable, Sendable {
    /// One row of the table: one layer.
    public struct Row: Equatable, Sendable {
        /// Layer name, e.g. `lstm_1`.
        public var name: String
        /// Keras class name, e.g. `LSTM`.
        public var className: String
        /// Output shape as Keras prints it: `(None, 3, 128)`, or `[(None, 4), (None, 4)]` for several.
        public var outputShape: String
        /// Number of weight scalars of the layer.
        public var params: Int
        /// Inbound connections (`lstm[0][1]`) when the table has a "Connected to" column.
        public var connectedTo: [String]
        /// False for a layer that has no weights yet (a `Sequential` never called nor given an input shape).
        public var isBuilt: Bool

        /// A row with the given fields.
        public init(name: String, className: String, outputShape: String, params: Int, connectedTo: [String] = [],
                    isBuilt: Bool = true) {
            self.name = name
            self.className = className
            self.outputShape = outputShape
            self.params = params
            self.connectedTo = connectedTo
            self.isBuilt = isBuilt
        }

        /// `lstm (LSTM)`, the first cell.
        public var layerCell: String { "\(name) (\(className))" }

        /// `67,072`, or `0 (unbuilt)` as Keras prints a layer without weights yet.
        public var paramsCell: String { isBuilt ? ModelSummary.grouped(params) : "0 (unbuilt)" }
    }

    /// Model name shown in the title: `Model: "sequential"`.
    public var modelName: String
    /// Rows in display order.
    public var rows: [Row]
    /// Whether the model is not a simple chain, so Keras adds the "Connected to" column.
    public var showsConnections: Bool
    /// Scalars in trainable weights.
    public var trainableParams: Int
    /// Scalars in non-trainable weights.
    public var nonTrainableParams: Int
    /// Scalars of optimizer state, or nil before the optimizer has made an update (no line printed).
    public var optimizerParams: Int?

    /// A summary with the given contents.
    public init(modelName: String, rows: [Row], showsConnections: Bool, trainableParams: Int,
                nonTrainableParams: Int, optimizerParams: Int? = nil) {
        self.modelName = modelName
        self.rows = rows
        self.showsConnections = showsConnections
        self.trainableParams = trainableParams
        self.nonTrainableParams = nonTrainableParams
        self.optimizerParams = optimizerParams
    }

    /// Trainable + non-trainable + optimizer scalars (Keras's "Total params").
    public var totalParams: Int { trainableParams + nonTrainableParams + (optimizerParams ?? 0) }

    /// Column headers, in order.
    public var headers: [String] {
        showsConnections ? ["Layer (type)", "Output Shape", "Param #", "Connected to"]
                         : ["Layer (type)", "Output Shape", "Param #"]
    }

    /// The totals lines as (label, value) pairs: `("Total params", "248,578 (971.01 KB)")`, ….
    public var totals: [(label: String, value: String)] {
        var lines = [("Total params", ModelSummary.countAndSize(totalParams)),
                     ("Trainable params", ModelSummary.countAndSize(trainableParams)),
                     ("Non-trainable params", ModelSummary.countAndSize(nonTrainableParams))]
        if let o = optimizerParams { lines.append(("Optimizer params", ModelSummary.countAndSize(o))) }
        return lines
    }

    /// `248,578` — an integer with thousands separators, as Python's `f"{n:,}"`.
    public static func grouped(_ n: Int) -> String {
        let digits = String(Swift.abs(n))
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return n < 0 ? "-" + out : out
    }

    /// `971.01 KB` — a byte count in base-1024 units with two decimals, as Keras prints it.
    public static func readableSize(bytes: Double) -> String {
        var size = bytes
        for unit in ["B", "KB", "MB", "GB", "TB"] {
            if size / 1024 < 1 { return String(format: "%.2f %@", size, unit) }
            size /= 1024
        }
        return String(format: "%.2f PB", size)
    }

    /// `248,578 (971.01 KB)` for a count of 4-byte Float scalars.
    public static func countAndSize(_ count: Int) -> String {
        "\(grouped(count)) (\(readableSize(bytes: Double(count) * 4)))"
    }
}
