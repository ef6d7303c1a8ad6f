/// The line format of the worker's command and event pipes, shared by both ends (the kernel side in
/// SwiftCells imports this type).
///
/// One message per line; fields separated by a tab; inside a field `\\`, `\t` and `\n` are escaped.
/// Commands (kernel → worker): `run <module> <allowStdin 0|1> <library> <entry point>`,
/// `comm <comm id> <JSON data> <msg|close> [live]` (a frontend's comm message for a widget; `live` while a
/// cell runs: handled beside it, no event), `interrupt`, `stop`
/// (end the cell's thread if it is in its own code; see `CellInterrupter`),
/// `input <line>`, `noinput`, `exit`.
/// Events (worker → kernel): `ready <lstmkit-loaded 0|1>`, `done <module> <load s> <run s>`,
/// `threw <module> <type name> <description>`, `trapped <module> <signal> <library> <offset>`,
/// `loadfailed <module> <message>`, `input_request <prompt>`, `interrupted <module>` (an interrupt ended the
/// cell's thread while it ran its own code).
public enum WireFormat {
    /// Encodes fields into one line (with its newline).
    public static func encode(_ fields: [String]) -> String {
        fields.map(escape).joined(separator: "\t") + "\n"
    }

    /// Splits one line (without its newline) into fields.
    public static func decode(_ line: Substring) -> [String] {
        line.split(separator: "\t", omittingEmptySubsequences: false).map { unescape($0) }
    }

    static func escape(_ field: String) -> String {
        var out = ""
        for ch in field.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    static func unescape(_ field: Substring) -> String {
        var out = ""
        var escaping = false
        for ch in field.unicodeScalars {
            if escaping {
                switch ch {
                case "t": out += "\t"
                case "n": out += "\n"
                default: out.unicodeScalars.append(ch)
                }
                escaping = false
            } else if ch == "\\" {
                escaping = true
            } else {
                out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
