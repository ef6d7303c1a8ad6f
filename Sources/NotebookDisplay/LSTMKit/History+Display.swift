import Foundation
import LSTMKit

/// A training `History` shows as its loss curves (loss and val_loss over epochs, SVG) plus a text line
/// per key with the first and last values.
extension History: NotebookDisplayable {
    /// image/svg+xml (the loss plot), the plot as an `<img>` with alt text (text/html) and text/plain.
    public var mimeBundle: MIMEBundle {
        let figure = plot()
        return MIMEBundle.figure(svg: figure.svg, alt: figure.altText, plainText: textSummary)
    }

    /// `History: 300 epochs` then `  loss: 0.2513 → 0.0021 (best 0.0019 at epoch 287)` per key.
    public var textSummary: String {
        var lines = ["History: \(epochs.count) epoch\(epochs.count == 1 ? "" : "s")"]
        for key in keys {
            guard let values = self[key], let first = values.first, let last = values.last else { continue }
            var line = "  \(key): \(TrainingLogs.format(first)) → \(TrainingLogs.format(last))"
            let lowerIsBetter = !key.contains("acc")
            if let best = (lowerIsBetter ? values.min() : values.max()), let at = values.firstIndex(of: best), values.count > 1 {
                line += " (best \(TrainingLogs.format(best)) at epoch \(at + 1))"
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// A line plot of the given keys over epochs (1-based, as Keras prints them); by default every loss
    /// key (`loss`, `val_loss`). Validation curves are dashed, drawn in their training curve's colour.
    public func plot(keys chosen: [String]? = nil, title: String = "Training history", logScale: Bool = false) -> Plot {
        let shown = chosen ?? { let losses = keys.filter { $0.hasSuffix("loss") }; return losses.isEmpty ? keys : losses }()
        var plot = Plot(title: title, xLabel: "epoch", yLabel: shown.allSatisfy { $0.hasSuffix("loss") } ? "loss" : "value")
        if logScale { plot.yScale = .log }
        let trainKeys = shown.map { $0.hasPrefix("val_") ? String($0.dropFirst(4)) : $0 }
        var colourOf: [String: String] = [:]
        for key in trainKeys where colourOf[key] == nil { colourOf[key] = Plot.palette[colourOf.count % Plot.palette.count] }
        for (key, base) in zip(shown, trainKeys) {
            guard let values = self[key] else { continue }
            let x = epochs.count == values.count ? epochs.map { Double($0 + 1) } : (1...max(values.count, 1)).map(Double.init)
            try? plot.addLine(x: Array(x.prefix(values.count)), y: values, name: key, dashed: key.hasPrefix("val_"),
                              marker: values.count <= 30 ? .circle : .none, color: colourOf[base])
        }
        return plot
    }
}

/// Several training runs on one plot (the over/under-fitting diagnosis of the return_state tutorial).
///
/// By default each run gets its own colour, training solid and validation dashed, and the legend names
/// every curve. With `colorBySplit`, every training curve is blue and every validation curve orange and the
/// legend has just "train" and "validation" — the classic look for many repeated runs.
/// - Parameters:
///   - runs: (label, history) pairs; the label names the run in the legend.
///   - key: the training value to draw (`loss` by default); `val_<key>` is drawn too when present.
public func plotHistories(_ runs: [(label: String, history: History)], key: String = "loss",
                          title: String = "Training runs", logScale: Bool = false, colorBySplit: Bool = false) -> Plot {
    var plot = Plot(title: title, xLabel: "epoch", yLabel: key)
    if logScale { plot.yScale = .log }
    for (i, run) in runs.enumerated() {
        let runColour = Plot.palette[i % Plot.palette.count]
        if let train = run.history[key] {
            let name = colorBySplit ? (i == 0 ? "train" : nil) : "\(run.label) \(key)"
            plot.addLine(train, name: name, startAt: 1, color: colorBySplit ? Plot.palette[0] : runColour)
        }
        if let validation = run.history["val_" + key] {
            let name = colorBySplit ? (i == 0 ? "validation" : nil) : "\(run.label) val_\(key)"
            plot.addLine(validation, name: name, startAt: 1, dashed: !colorBySplit,
                         color: colorBySplit ? Plot.palette[1] : runColour)
        }
    }
    return plot
}

/// Predicted against actual values over the sequence: one solid line with dots per actual feature and a
/// dashed line with crosses for its prediction. Leading axes (samples, time steps) are read in order as
/// one running index; the last axis holds the features.
/// - Throws: `DisplayError.invalidArgument` when the shapes differ or the feature names do not match.
public func predictionPlot(actual: Tensor, predicted: Tensor, featureNames: [String]? = nil,
                           title: String = "Predicted vs actual", xLabel: String = "step") throws -> Plot {
    guard actual.shape == predicted.shape else {
        throw DisplayError.invalidArgument(
            "predictionPlot: expected predicted to have the shape of actual \(shapeText(actual.shape)), got \(shapeText(predicted.shape))")
    }
    let features = actual.rank >= 2 ? actual.shape.last! : 1
    let names = featureNames ?? (features == 1 ? [""] : (0..<features).map { "feature \($0)" })
    guard names.count == features else {
        throw DisplayError.invalidArgument("predictionPlot: expected \(features) feature names, got \(names.count)")
    }
    var plot = Plot(title: title, xLabel: xLabel, yLabel: "value")
    let rows = features == 0 ? 0 : actual.count / features
    for f in 0..<features {
        let a = (0..<rows).map { actual.scalars[$0 * features + f] }
        let p = (0..<rows).map { predicted.scalars[$0 * features + f] }
        let colour = Plot.palette[f % Plot.palette.count]
        let suffix = names[f].isEmpty ? "" : " (\(names[f]))"
        let marks = rows <= 60
        plot.addLine(a, name: "actual" + suffix, marker: marks ? .circle : .none, color: colour)
        plot.addLine(p, name: "predicted" + suffix, dashed: true, marker: marks ? .cross : .none, color: colour)
    }
    return plot
}

/// Predicted against actual for plain arrays (one feature).
/// - Throws: `DisplayError.invalidArgument` when the counts differ.
public func predictionPlot<T: BinaryFloatingPoint>(actual: [T], predicted: [T], title: String = "Predicted vs actual",
                                                   xLabel: String = "step") throws -> Plot {
    guard actual.count == predicted.count else {
        throw DisplayError.invalidArgument("predictionPlot: expected as many predicted values as actual (\(actual.count)), got \(predicted.count)")
    }
    return try predictionPlot(actual: Tensor(actual.map { Float($0) }), predicted: Tensor(predicted.map { Float($0) }),
                              title: title, xLabel: xLabel)
}
