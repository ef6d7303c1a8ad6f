import Foundation

/// The MIME types a notebook front end renders, by their Jupyter names.
public enum MIMEType {
    /// Plain text; every bundle carries it, it is what terminals and `nbconvert --to script` show.
    public static let plainText = "text/plain"
    /// An HTML fragment.
    public static let html = "text/html"
    /// A standalone SVG document.
    public static let svg = "image/svg+xml"
    /// A PNG image, base64-encoded in the bundle.
    public static let png = "image/png"
    /// Structured JSON data.
    public static let json = "application/json"
    /// Markdown text.
    public static let markdown = "text/markdown"
}

/// One rich representation of a value: MIME type → data, plus metadata, as Jupyter's `display_data`
/// carries it.
///
/// Every bundle has `text/plain` (Jupyter requires a fallback); the other types are optional.
public struct MIMEBundle: Equatable, Sendable {
    /// MIME type → data. Text types are `.string`; `application/json` may be any JSON value.
    public var data: [String: NotebookJSON]
    /// Per-MIME-type metadata (e.g. `["image/png": ["width": 400]]`).
    public var metadata: [String: NotebookJSON]

    /// A bundle with the given text fallback and optional rich forms.
    /// - Parameters:
    ///   - plainText: the text/plain form (required by Jupyter as the fallback).
    ///   - html: an HTML fragment.
    ///   - svg: a standalone SVG document.
    ///   - png: PNG bytes; stored base64-encoded, as the notebook format wants.
    ///   - json: structured data for `application/json`.
    ///   - markdown: Markdown text.
    public init(plainText: String, html: String? = nil, svg: String? = nil, png: Data? = nil,
                json: NotebookJSON? = nil, markdown: String? = nil) {
        var data: [String: NotebookJSON] = [MIMEType.plainText: .string(plainText)]
        if let html { data[MIMEType.html] = .string(html) }
        if let svg { data[MIMEType.svg] = .string(svg) }
        if let png { data[MIMEType.png] = .string(png.base64EncodedString()) }
        if let json { data[MIMEType.json] = json }
        if let markdown { data[MIMEType.markdown] = .string(markdown) }
        self.data = data
        self.metadata = [:]
    }

    /// A bundle from raw MIME data; `text/plain` is added (empty) when missing, because Jupyter requires it.
    public init(data: [String: NotebookJSON], metadata: [String: NotebookJSON] = [:]) {
        var data = data
        if data[MIMEType.plainText] == nil { data[MIMEType.plainText] = .string("") }
        self.data = data
        self.metadata = metadata
    }

    /// The text of a text-valued MIME type (`text/plain`, `text/html`, `image/svg+xml`, base64 PNG, …).
    public subscript(mimeType: String) -> String? {
        get {
            if case .string(let s)? = data[mimeType] { return s }
            return nil
        }
        set { data[mimeType] = newValue.map(NotebookJSON.string) }
    }

    /// The text/plain form.
    public var plainText: String { self[MIMEType.plainText] ?? "" }
}

extension MIMEBundle {
    /// A figure: the SVG (`image/svg+xml`), the same SVG as an `<img>` with alt text (`text/html`) and a
    /// readable text form (`text/plain`).
    ///
    /// The `<img>` is what nbconvert's HTML export and an untrusted notebook show: nbconvert wraps a bare
    /// `image/svg+xml` in an `<img>` without alt text (and warns), and JupyterLab does not render SVG in
    /// untrusted outputs but does render sanitised HTML, whose sanitiser keeps `<img>` with `src`, `alt`,
    /// `width` and `height`. `alt` is also the SVG's `<title>` in the figures NotebookDisplay draws.
    public static func figure(svg: String, alt: String, plainText: String) -> MIMEBundle {
        MIMEBundle(plainText: plainText, html: svgImageTag(svg, alt: alt), svg: svg)
    }

    /// `<img src="data:image/svg+xml;base64,…" alt="…">`: an SVG document as an HTML image with alt text.
    public static func svgImageTag(_ svg: String, alt: String) -> String {
        "<img src=\"data:image/svg+xml;base64,\(Data(svg.utf8).base64EncodedString())\" alt=\"\(xmlEscape(alt))\">"
    }
}

/// Mistakes a caller of the display helpers can make.
public enum DisplayError: Error, CustomStringConvertible, Equatable {
    /// A value that JSON cannot hold was given as JSON.
    case notJSON(String)
    /// An argument outside what the helper accepts; the message names expected and given.
    case invalidArgument(String)

    /// A sentence naming what was expected and what was given.
    public var description: String {
        switch self {
        case .notJSON(let what): return "expected a JSON value (null, Bool, number, String, Array, [String: Any]), got \(what)"
        case .invalidArgument(let message): return message
        }
    }
}
