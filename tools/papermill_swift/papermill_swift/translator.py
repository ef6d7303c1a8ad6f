"""Papermill parameters as Swift source: `papermill -p epochs 5` becomes `let epochs = 5`.

Swift has no dynamic literal types, so each value is written with the type Swift must give it:
scalars rely on Swift's default literal types (Int, Double, String, Bool); collections carry an explicit
annotation (`let units: [Int] = [128, 64]`) because an empty or mixed literal cannot be inferred; `nil`
is typed `Any?`. Floats become `Double`: where a notebook needs a `Float`, it converts (`Float(rate)`).
"""

import math
import re

from papermill.exceptions import PapermillException
from papermill.models import Parameter
from papermill.translators import Translator

# Swift keywords that must be written in backticks to be used as a constant's name.
SWIFT_KEYWORDS = frozenset(
    """associatedtype borrowing class consuming deinit enum extension fileprivate func import init inout
    internal let nonisolated open operator private precedencegroup protocol public rethrows static struct
    subscript typealias var break case catch continue default defer do else fallthrough for guard if in
    repeat return throw switch where while Any as await false is nil self Self super throws true try
    """.split()
)

INT_MIN, INT_MAX = -(2**63), 2**63 - 1

# Types are small tuples so nested collections can be unified: ("Int",), ("[]", element),
# ("[:]", key, value), ("?", wrapped). NEVER is the element type of an empty collection: it unifies
# with anything. NIL is the type of a bare None before it is wrapped into an optional.
NEVER = ("Never",)
NIL = ("nil",)
ANY = ("Any",)


def _type_of(val):
    if val is None:
        return NIL
    if isinstance(val, bool):  # before int: bool is an int in Python
        return ("Bool",)
    if isinstance(val, int):
        return ("Int",)
    if isinstance(val, float):
        return ("Double",)
    if isinstance(val, list):
        return ("[]", _unify([_type_of(v) for v in val]))
    if isinstance(val, dict):
        return ("[:]", _key_type(list(val)), _unify([_type_of(v) for v in val.values()]))
    return ("String",)  # str, and anything else papermill hands over (dates) is written as its text


def _unify(types):
    """The one Swift type all `types` fit in (what an array's element type must be)."""
    optional = any(t == NIL or t[0] == "?" for t in types)
    unwrapped = [t[1] if t[0] == "?" else t for t in types]
    plain = [t for t in unwrapped if t not in (NIL, NEVER)]
    result = NEVER  # a nil-only optional stays ("?", NEVER) so it can still unify with `Int?` later
    if plain:
        result = plain[0]
        for t in plain[1:]:
            result = _unify_two(result, t)
    return ("?", result) if optional else result


def _unify_two(a, b):
    if a == b:
        return a
    if {a, b} == {("Int",), ("Double",)}:
        return ("Double",)  # Swift reads `[1, 2.5]` as [Double]
    if a[0] == b[0] == "[]":
        return ("[]", _unify([a[1], b[1]]))
    if a[0] == b[0] == "[:]":
        return ("[:]", _unify_keys(a[1], b[1]), _unify([a[2], b[2]]))
    return ANY


def _unify_keys(a, b):
    if a == NEVER or a == b:
        return b
    if b == NEVER:
        return a
    if {a, b} == {("Int",), ("Double",)}:
        return ("Double",)
    return ("AnyHashable",)


def _key_type(keys):
    result = NEVER
    for key in keys:
        if key is None:
            raise PapermillException("Swift dictionary keys cannot be nil; give a string or number key")
        if isinstance(key, (list, dict)):
            raise PapermillException(f"Swift dictionary keys must be strings, numbers or booleans, got {key!r}")
        result = _unify_keys(result, _type_of(key))
    return result


def _render(t):
    kind = t[0]
    if kind == "[]":
        return f"[{_render(t[1])}]"
    if kind == "[:]":
        key = "String" if t[1] == NEVER else _render(t[1])  # an empty dict still needs a Hashable key
        return f"[{key}: {_render(t[2])}]"
    if kind == "?":
        inner = _render(t[1])
        return f"{inner}?"
    if t in (NEVER, NIL):
        return "Any"
    return kind


def swift_type(val):
    """The Swift type a parameter value gets, e.g. `[Int]`, `[String: Any]`, `Any?`."""
    t = _type_of(val)
    return "Any?" if t == NIL else _render(t)


class SwiftTranslator(Translator):
    """Writes papermill parameters as Swift constants for kernels whose language is Swift."""

    @classmethod
    def translate_str(cls, val):
        out = []
        for ch in str(val):
            code = ord(ch)
            if ch == "\\":
                out.append("\\\\")
            elif ch == '"':
                out.append('\\"')
            elif ch == "\n":
                out.append("\\n")
            elif ch == "\r":
                out.append("\\r")
            elif ch == "\t":
                out.append("\\t")
            elif ch == "\0":
                out.append("\\0")
            elif code < 0x20 or code == 0x7F or code in (0x2028, 0x2029):
                # Control characters and line separators cannot stand raw in a one-line literal.
                out.append(f"\\u{{{code:X}}}")
            else:
                out.append(ch)
        return '"' + "".join(out) + '"'

    @classmethod
    def translate_escaped_str(cls, str_val):
        return cls.translate_str(str_val)

    @classmethod
    def translate_none(cls, val):
        return "nil"

    @classmethod
    def translate_int(cls, val):
        if not INT_MIN <= val <= INT_MAX:
            raise PapermillException(f"Swift Int holds {INT_MIN}...{INT_MAX}; the parameter value {val} does not fit")
        return str(val)

    @classmethod
    def translate_float(cls, val):
        if math.isnan(val):
            return "Double.nan"
        if math.isinf(val):
            return "Double.infinity" if val > 0 else "-Double.infinity"
        return repr(val)  # shortest round-trip form, e.g. 0.001, 1e-07, 300.0: all valid Swift literals

    @classmethod
    def translate_bool(cls, val):
        return "true" if val else "false"

    @classmethod
    def translate_list(cls, val):
        return "[" + ", ".join(cls.translate(v) for v in val) + "]"

    @classmethod
    def translate_dict(cls, val):
        if not val:
            return "[:]"
        _key_type(list(val))  # rejects keys Swift cannot hold, with a message
        return "[" + ", ".join(f"{cls.translate(k)}: {cls.translate(v)}" for k, v in val.items()) + "]"

    @classmethod
    def comment(cls, cmt_str):
        return f"// {cmt_str}".strip()

    @classmethod
    def assign(cls, name, str_val):
        return f"let {name} = {str_val}"

    @classmethod
    def declare(cls, name, val):
        """One Swift declaration for a parameter: `let name = literal`, annotated where Swift needs it."""
        if not isinstance(name, str) or not name.isidentifier():
            raise PapermillException(
                f"a parameter name must be a Swift identifier (letters, digits, underscores), got {name!r}"
            )
        swift_name = f"`{name}`" if name in SWIFT_KEYWORDS else name
        literal = cls.translate(val)
        if val is None or isinstance(val, (list, dict)):
            return f"let {swift_name}: {swift_type(val)} = {literal}"
        return cls.assign(swift_name, literal)

    @classmethod
    def codify(cls, parameters, comment="Parameters"):
        content = f"{cls.comment(comment)}\n"
        for name, val in parameters.items():
            content += cls.declare(name, val) + "\n"
        return content

    # `let name: Type = value // help`, after comments have been split off.
    DECLARATION = re.compile(
        r"^\s*(?:let|var)\s+`?(?P<name>\w+)`?\s*(?::\s*(?P<type>[^=]+?))?\s*=\s*(?P<value>.+?)\s*$"
    )

    @classmethod
    def inspect(cls, parameters_cell):
        """The parameters a Swift `parameters` cell declares (for `papermill --help-notebook`)."""
        groups = []  # each: [code lines], help text of the last line
        for line in parameters_cell["source"].splitlines():
            code, help_text = _split_comment(line)
            if not code.strip():
                continue
            if re.match(r"^\s*(let|var)\s", code) or not groups:
                groups.append([[code.strip()], help_text])
            else:
                groups[-1][0].append(code.strip())
                groups[-1][1] = help_text
        params = []
        for lines, help_text in groups:
            match = cls.DECLARATION.match(" ".join(lines))
            if not match:
                continue
            declared = match.group("type")
            value = match.group("value")
            params.append(
                Parameter(
                    name=match.group("name"),
                    inferred_type_name=declared.strip() if declared else _literal_type(value),
                    default=value,
                    help=help_text,
                )
            )
        return params


def _split_comment(line):
    """Splits `code // comment` outside string literals; returns (code, comment text)."""
    in_string = False
    i = 0
    while i < len(line):
        ch = line[i]
        if in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif line.startswith("//", i):
            return line[:i], line[i + 2 :].strip()
        i += 1
    return line, ""


def _literal_type(value):
    """The type Swift infers for a simple literal, "None" when it is not a simple literal."""
    if re.fullmatch(r"-?\d[\d_]*", value):
        return "Int"
    if re.fullmatch(r"-?\d[\d_]*(\.\d[\d_]*)?([eE][-+]?\d+)?", value):
        return "Double"
    if value in ("true", "false"):
        return "Bool"
    if value.startswith('"'):
        return "String"
    if value == "nil":
        return "NoneType"
    return "None"


def register():
    """Makes papermill use this translator for the swift-lstm kernel and for any kernel in Swift."""
    from papermill.translators import papermill_translators

    papermill_translators.register("swift-lstm", SwiftTranslator)
    papermill_translators.register("swift", SwiftTranslator)
