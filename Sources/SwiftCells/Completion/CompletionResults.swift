/// Completions for the code in front of the cursor, ready for a `complete_reply`.
public struct CompletionMatches: Equatable, Sendable {
    /// Texts to put in place of `code[startOffset..<endOffset]`, best first, without duplicates.
    public var matches: [String]
    /// Start of the replaced token in the cell, in Unicode scalars.
    public var startOffset: Int
    /// End of the replaced token in the cell, in Unicode scalars (usually the cursor).
    public var endOffset: Int
    /// One entry per match, in the same order, with what a frontend shows beside it.
    public var candidates: [CompletionCandidate]

    /// Creates a result; `candidates` defaults to bare entries for `matches`.
    public init(matches: [String], startOffset: Int, endOffset: Int, candidates: [CompletionCandidate]? = nil) {
        self.matches = matches
        self.startOffset = startOffset
        self.endOffset = endOffset
        self.candidates = candidates ?? matches.map { CompletionCandidate(text: $0, kind: "", signature: $0) }
    }
}

/// One completion with its description (JupyterLab's `_jupyter_types_experimental` entry).
public struct CompletionCandidate: Equatable, Sendable {
    /// The inserted text (equal to the corresponding match).
    public var text: String
    /// A Jupyter type name: `function`, `class`, `property`, `instance`, `keyword`, `module`, … or "".
    public var kind: String
    /// What the user reads: the full signature with argument labels and types, e.g. `count: Int`.
    public var signature: String

    /// Creates a candidate.
    public init(text: String, kind: String, signature: String) {
        self.text = text
        self.kind = kind
        self.signature = signature
    }
}

/// Documentation of the symbol at the cursor, ready for an `inspect_reply` bundle.
public struct Documentation: Equatable, Sendable {
    /// The declaration and its doc comment as plain text (`text/plain`).
    public var plainText: String
    /// The same as Markdown, with the declaration in a Swift code block (`text/markdown`).
    public var markdown: String

    /// Creates documentation.
    public init(plainText: String, markdown: String) {
        self.plainText = plainText
        self.markdown = markdown
    }
}
