/// Turns the innermost cell frame of a trap (library + offset) into a cell line, using the debug line
/// table the cells are compiled with (`-gline-tables-only`) and the toolchain's `llvm-symbolizer`.
struct TrapLocator {
    let symbolizer: String?

    init(swiftc: String) {
        let dir = swiftc.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let candidate = dir + "/llvm-symbolizer"
        symbolizer = Subprocess.run([candidate, "--version"])?.status == 0 ? candidate : nil
    }

    /// The cell line of the frame, and the runtime check that failed when the compiler inlined one
    /// (e.g. "arithmetic overflow"), if the symbolizer can tell.
    ///
    /// `offset` is one byte before the frame's address: right for a return address (a call into the
    /// runtime that trapped), one instruction early for a trap in the cell's own code (`ud2` after an
    /// overflow check). Both addresses are asked; the first with a cell line wins.
    func locate(library: String, offset: Int) -> (location: CellLocation?, check: String?) {
        guard let symbolizer, !library.isEmpty, offset > 0 else { return (nil, nil) }
        let addresses = [offset + 1, offset].map { "0x" + String($0, radix: 16) }
        guard let result = Subprocess.run([symbolizer, "--obj=\(library)"] + addresses), result.status == 0
        else { return (nil, nil) }
        var check: String?
        var cellLine: CellLocation?
        // One block per address; in each, pairs of lines: function, then file:line:column (innermost
        // inlined frame first).
        for block in result.output.split(separator: "\n\n") {
            let lines = block.split(separator: "\n").map(String.init)
            var index = 0
            while index + 1 < lines.count {
                let function = lines[index], location = lines[index + 1]
                if check == nil, function.hasPrefix("Swift runtime failure: ") {
                    check = String(function.dropFirst("Swift runtime failure: ".count))
                }
                if cellLine == nil { cellLine = cellLocation(in: location) }
                index += 2
            }
        }
        return (cellLine, check)
    }
}
