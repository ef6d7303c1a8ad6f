import Foundation
import JupyterKernel
import JupyterProtocol

// libFuzzer target over the history-file line parser `HistoryEntry(jsonLine:)`: the input is split into
// lines as `HistoryStore` splits `history.jsonl`. A line that parses must describe a valid entry (positive
// session, non-negative line number) whose `history_reply` form can be encoded and walked.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHistory(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    for line in bytes.split(separator: UInt8(ascii: "\n")) {
        guard let entry = HistoryEntry(jsonLine: Data(line)) else { continue }
        require(entry.session > 0 && entry.line >= 0, "a parsed history entry has session \(entry.session), line \(entry.line)")
        for withOutput in [false, true] {
            let reply = entry.json(output: withOutput)
            exercise(reply)
            _ = try? reply.encoded()
        }
    }
    return 0
}
