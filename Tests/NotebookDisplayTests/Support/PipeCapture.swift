import Foundation
import XCTest
import NotebookDisplay
#if canImport(Glibc)
import Glibc
#endif

/// Reads everything written to a pipe on a background thread, so writers never block on a full buffer.
final class PipeReader: @unchecked Sendable {
    let readFD: Int32
    let writeFD: Int32
    private var bytes: [UInt8] = []
    private let done = DispatchSemaphore(value: 0)

    init() {
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0, "pipe() failed")
        readFD = fds[0]
        writeFD = fds[1]
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(readFD, &buffer, buffer.count)
                if n <= 0 { break }
                bytes.append(contentsOf: buffer[0..<n])
            }
            close(readFD)
            done.signal()
        }
    }

    /// Closes the write end and returns all text written.
    func finish() -> String {
        close(writeFD)
        done.wait()
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Runs `body` with the display pipe connected to a fresh pipe; returns the raw text written to it.
func captureDisplayPipe(_ body: () throws -> Void) rethrows -> String {
    let reader = PipeReader()
    DisplayPipe.connect(fileDescriptor: reader.writeFD)
    defer { DisplayPipe.disconnect() }
    try body()
    DisplayPipe.disconnect()
    return reader.finish()
}

/// Runs `body` with the display pipe connected; returns each JSON line parsed into a dictionary.
func captureRecords(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) rethrows -> [[String: Any]] {
    let text = try captureDisplayPipe(body)
    var records: [[String: Any]] = []
    for lineText in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
        guard let object = try? JSONSerialization.jsonObject(with: Data(lineText.utf8)) as? [String: Any] else {
            XCTFail("display pipe line is not a JSON object: \(lineText.prefix(200))", file: file, line: line)
            continue
        }
        records.append(object)
    }
    XCTAssertTrue(text.isEmpty || text.hasSuffix("\n"), "every record must end with a newline", file: file, line: line)
    return records
}

/// Runs `body` with file descriptor 1 (stdout) redirected into a pipe; returns what was written there.
func captureStdout(_ body: () throws -> Void) rethrows -> String {
    fflush(stdout)
    let reader = PipeReader()
    let saved = dup(1)
    dup2(reader.writeFD, 1)
    defer {
        fflush(stdout)
        dup2(saved, 1)
        close(saved)
    }
    try body()
    fflush(stdout)
    dup2(saved, 1)
    // The reader sees EOF only when no descriptor refers to the write end any more.
    return reader.finish()
}
