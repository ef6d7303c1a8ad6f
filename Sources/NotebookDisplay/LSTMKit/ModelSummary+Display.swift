import Foundation
import LSTMKit

/// `model.summary()` data shows as Keras's box table (text/plain, LSTMKit's exact rendering) and as an
/// HTML table with the same rows and totals (text/html).
extension ModelSummary: NotebookDisplayable {
    /// text/plain and text/html forms of the summary.
    public var mimeBundle: MIMEBundle { MIMEBundle(plainText: text, html: html) }

    /// The summary as an HTML table: caption `Model: "name"`, the Keras columns, Param # right-aligned,
    /// then the totals. Plain table markup, so GitHub's sanitiser keeps it; inline styles for the rest.
    public var html: String {
        let border = "border-bottom:1px solid #ddd"
        let th = "style=\"text-align:left;padding:4px 12px;border-bottom:2px solid #444\""
        let thRight = "style=\"text-align:right;padding:4px 12px;border-bottom:2px solid #444\""
        let td = "style=\"text-align:left;padding:3px 12px;\(border);font-family:monospace\""
        let tdRight = "style=\"text-align:right;padding:3px 12px;\(border);font-family:monospace\""
        var h = "<div class=\"lstmkit-summary\">\n<table style=\"border-collapse:collapse\">\n"
        h += "<caption style=\"caption-side:top;text-align:left;font-weight:bold;padding-bottom:4px\">Model: \"\(xmlEscape(modelName))\"</caption>\n"
        h += "<thead><tr>" + headers.enumerated().map { k, title in
            "<th \(k == 2 ? thRight : th)>\(xmlEscape(title))</th>"
        }.joined() + "</tr></thead>\n<tbody>\n"
        for row in rows {
            h += "<tr><td \(td)>\(xmlEscape(row.layerCell))</td><td \(td)>\(xmlEscape(row.outputShape))</td>"
            h += "<td \(tdRight)>\(ModelSummary.grouped(row.params))</td>"
            if showsConnections {
                let connected = row.connectedTo.isEmpty ? "-" : row.connectedTo.map(xmlEscape).joined(separator: "<br>")
                h += "<td \(td)>\(connected)</td>"
            }
            h += "</tr>\n"
        }
        h += "</tbody>\n</table>\n<div style=\"margin-top:6px;line-height:1.5\">"
        h += totals.map { "<b>\(xmlEscape($0.label)):</b> \(xmlEscape($0.value))" }.joined(separator: "<br>\n")
        h += "</div>\n</div>"
        return h
    }
}

/// A model as a cell's value (or in `display(model)`) shows its summary table, text and HTML.
extension Model: NotebookDisplayable {
    /// The summary's text/plain and text/html.
    public var mimeBundle: MIMEBundle { summaryTable().mimeBundle }
}
