// Small wrappers that mark raw content with its MIME type, for `display(_:)` and cell results.

/// Markdown text that the notebook renders (`display(Markdown("**bold**"))`).
public struct Markdown: NotebookDisplayable, Sendable {
    /// The Markdown source.
    public var source: String
    /// Wraps Markdown source.
    public init(_ source: String) { self.source = source }
    /// `text/markdown`, with the source itself as the plain-text fallback.
    public var mimeBundle: MIMEBundle { MIMEBundle(plainText: source, markdown: source) }
}

/// An HTML fragment that the notebook renders (`display(HTML("<b>hi</b>"))`).
public struct HTML: NotebookDisplayable, Sendable {
    /// The HTML source.
    public var source: String
    /// Optional text shown where HTML is not rendered (terminals, `nbconvert --to script`).
    public var fallback: String
    /// Wraps an HTML fragment; `fallback` defaults to the HTML source itself.
    public init(_ source: String, fallback: String? = nil) {
        self.source = source
        self.fallback = fallback ?? source
    }
    /// `text/html` plus the text fallback.
    public var mimeBundle: MIMEBundle { MIMEBundle(plainText: fallback, html: source) }
}

/// A standalone SVG document (`display(SVGImage(text))`).
public struct SVGImage: NotebookDisplayable, Sendable {
    /// The SVG document text.
    public var source: String
    /// A short description shown where images are not rendered.
    public var altText: String
    /// Wraps SVG text.
    public init(_ source: String, altText: String = "<SVG image>") {
        self.source = source
        self.altText = altText
    }
    /// `image/svg+xml`, the SVG as an `<img>` with the alt text (HTML), and the alt text as text/plain.
    public var mimeBundle: MIMEBundle { MIMEBundle.figure(svg: source, alt: altText, plainText: altText) }
}

/// Structured JSON data, which JupyterLab shows as a collapsible tree.
public struct JSONDocument: NotebookDisplayable, Sendable {
    /// The JSON value.
    public var value: NotebookJSON
    /// Wraps a JSON value.
    public init(_ value: NotebookJSON) { self.value = value }
    /// `application/json` plus the compact JSON text.
    public var mimeBundle: MIMEBundle { MIMEBundle(plainText: value.encoded, json: value) }
}
