import SwiftParser
import SwiftSyntax

/// A name an inspect request may be about, in Unicode-scalar offsets into the cell.
struct InspectionTarget: Equatable, Sendable {
    /// Where the name starts (hover asks here).
    var nameStart: Int
    /// Where the name ends.
    var nameEnd: Int
    /// Just after the `(` of the call this name is the callee of, when it is called with parentheses
    /// (signature help asks there); nil for a name that is not called, or called without parentheses.
    var argumentsStart: Int?
}

/// Finds what Shift+Tab should document, from the parsed cell (swift-syntax tolerates half-typed code:
/// `model.fit(` parses as a call with a missing `)`).
///
/// The candidates, best first: the callee of the innermost call whose parentheses hold the cursor
/// (`model.fit(x, epo|`, `padSequences(|`), found through the call's syntax, so parentheses in strings,
/// closures and finished inner calls do not confuse it; and the name under the cursor or just before it
/// (`model.fi|t`, `mod|el`), unless it is an argument label. The name comes first when it is itself the
/// name of a call (`print(temporali|ze(x))` documents `temporalize`) or when no call encloses the cursor.
enum InspectionTargetFinder {
    static func targets(in code: String, cursorOffset: Int) -> [InspectionTarget] {
        let offsets = ScalarOffsets(code)
        let cursor = offsets.utf8Offset(ofScalar: cursorOffset)
        let tree = Parser.parse(source: code)
        var named: InspectionTarget?
        var nameIsCallee = false
        if let name = nameToken(in: tree, atUTF8: cursor), !isArgumentLabel(name) {
            let called = call(calling: name)
            nameIsCallee = called != nil
            named = target(for: name, call: called, offsets: offsets)
        }
        var enclosing: InspectionTarget?
        if let call = innermostCall(in: tree, containingUTF8: cursor), let callee = calleeToken(of: call) {
            enclosing = target(for: callee, call: call, offsets: offsets)
        }
        // Inside a call's parentheses the call is what is being written (IPython documents it too), unless
        // the cursor is on the name of a call itself.
        let ordered = nameIsCallee ? [named, enclosing] : [enclosing, named]
        var targets: [InspectionTarget] = []
        for case let candidate? in ordered where !targets.contains(candidate) { targets.append(candidate) }
        return targets
    }

    private static func target(for name: TokenSyntax, call: FunctionCallExprSyntax?,
                               offsets: ScalarOffsets) -> InspectionTarget {
        var argumentsStart: Int?
        if let call, let paren = call.leftParen, paren.presence == .present {
            argumentsStart = offsets.scalarOffset(ofUTF8: paren.endPositionBeforeTrailingTrivia.utf8Offset)
        }
        return InspectionTarget(nameStart: offsets.scalarOffset(ofUTF8: name.positionAfterSkippingLeadingTrivia.utf8Offset),
                                nameEnd: offsets.scalarOffset(ofUTF8: name.endPositionBeforeTrailingTrivia.utf8Offset),
                                argumentsStart: argumentsStart)
    }

    /// The identifier token containing `offset`, or ending exactly there (the cursor just after a name).
    private static func nameToken(in tree: SourceFileSyntax, atUTF8 offset: Int) -> TokenSyntax? {
        var found: TokenSyntax?
        for token in tree.tokens(viewMode: .sourceAccurate) where isName(token) {
            let start = token.positionAfterSkippingLeadingTrivia.utf8Offset
            let end = token.endPositionBeforeTrailingTrivia.utf8Offset
            if start <= offset && offset < end { return token }
            if end == offset { found = token }
            if start > offset { break }
        }
        return found
    }

    private static func isName(_ token: TokenSyntax) -> Bool {
        switch token.tokenKind {
        case .identifier, .dollarIdentifier: return token.presence == .present
        default: return false
        }
    }

    /// `epochs` in `fit(x, epochs: 3)`: hovering a label finds nothing, the call's callee is meant.
    private static func isArgumentLabel(_ token: TokenSyntax) -> Bool {
        guard let labeled = token.parent?.as(LabeledExprSyntax.self) else { return false }
        return labeled.label?.id == token.id
    }

    /// The call whose callee `name` is (`fit` in `model.fit(x)`, `Tensor` in `Tensor(…)`).
    private static func call(calling name: TokenSyntax) -> FunctionCallExprSyntax? {
        guard var node = name.parent.map(Syntax.init) else { return nil }
        while let parent = node.parent {
            if let call = parent.as(FunctionCallExprSyntax.self) {
                return call.calledExpression.id == node.id ? call : nil
            }
            // The name may sit inside `a.b` or `f<T>`; the call's calledExpression is that whole node.
            guard parent.is(MemberAccessExprSyntax.self) || parent.is(GenericSpecializationExprSyntax.self)
                    || parent.is(DeclReferenceExprSyntax.self) else { return nil }
            if let member = parent.as(MemberAccessExprSyntax.self), member.declName.id != node.id { return nil }
            node = parent
        }
        return nil
    }

    /// The innermost call whose parentheses hold `offset`: after its `(` and not after its `)` (a call
    /// still being typed has no `)`).
    private static func innermostCall(in tree: SourceFileSyntax, containingUTF8 offset: Int) -> FunctionCallExprSyntax? {
        let finder = CallFinder(offset: offset)
        finder.walk(tree)
        return finder.innermost
    }

    /// The name a call calls: `fit` of `model.fit`, `padSequences`, `Tensor` of `Tensor<Float>`.
    private static func calleeToken(of call: FunctionCallExprSyntax) -> TokenSyntax? {
        var expression = ExprSyntax(call.calledExpression)
        while true {
            if let reference = expression.as(DeclReferenceExprSyntax.self) {
                return isName(reference.baseName) ? reference.baseName : nil
            }
            if let member = expression.as(MemberAccessExprSyntax.self) {
                return isName(member.declName.baseName) ? member.declName.baseName : nil
            }
            if let generic = expression.as(GenericSpecializationExprSyntax.self) {
                expression = generic.expression
                continue
            }
            return nil
        }
    }

    private final class CallFinder: SyntaxVisitor {
        let offset: Int
        var innermost: FunctionCallExprSyntax?

        init(offset: Int) {
            self.offset = offset
            super.init(viewMode: .sourceAccurate)
        }

        override func visit(_ node: FunctionCallExprSyntax) -> SyntaxVisitorContinueKind {
            guard let open = node.leftParen, open.presence == .present else { return .visitChildren }
            let afterOpen = open.endPositionBeforeTrailingTrivia.utf8Offset
            let closed = node.rightParen.map { $0.presence == .present } ?? false
            let beforeClose = closed ? node.rightParen!.positionAfterSkippingLeadingTrivia.utf8Offset : Int.max
            // Children are visited after their parent, so the last call that matches is the innermost.
            if afterOpen <= offset && offset <= beforeClose { innermost = node }
            return .visitChildren
        }
    }
}
