/// A type that shows itself richly in a notebook: `display(x)` and a cell's last expression (`Out[n]`)
/// use its bundle instead of its `description`.
///
/// Conform your own types to get an HTML table or an SVG picture in the notebook:
/// ```swift
/// extension Point: NotebookDisplayable {
///     var mimeBundle: MIMEBundle { MIMEBundle(plainText: "(\(x), \(y))", html: "<b>(\(x), \(y))</b>") }
/// }
/// ```
public protocol NotebookDisplayable {
    /// The representations of this value; must include `text/plain`.
    var mimeBundle: MIMEBundle { get }
}

extension MIMEBundle: NotebookDisplayable {
    /// A bundle displays as itself, so `display(bundle)` sends exactly what was built.
    public var mimeBundle: MIMEBundle { self }
}
