/// The line format of the worker pipes, mirrored from `CellHost.WireFormat` (the worker side): one
/// message per line, fields separated by tabs, `\\`, `\t`, `\n` escaped inside a field.
enum WireFormat {
    static func encode(_ fields: [String]) -> String {
        fields.map { field in
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
        }.joined(separator: "\t") + "\n"
    }

    static func decode(_ line: Substring) -> [String] {
        line.split(separator: "\t", omittingEmptySubsequences: false).map { field in
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
}
