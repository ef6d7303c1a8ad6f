#if canImport(Glibc)
import Glibc
#endif

/// Non-blocking reads of a pipe's available bytes, keeping an incomplete UTF-8 sequence for later.
struct ChunkReader {
    let fd: Int32
    private(set) var closed = false
    private var carry: [UInt8] = []

    init(fd: Int32) {
        self.fd = fd
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// Every byte readable now (empty when none).
    mutating func readAvailable() -> [UInt8] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !closed {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
            if n > 0 {
                data.append(contentsOf: buffer[0..<n])
            } else if n == 0 {
                closed = true
            } else if errno == EINTR {
                continue
            } else {
                break
            }
        }
        return data
    }

    /// Available text, up to the last complete UTF-8 character.
    mutating func readAvailableText() -> String {
        let bytes = carry + readAvailable()
        var end = bytes.count
        // Step back over a trailing, incomplete multi-byte sequence (at most 3 bytes).
        var back = 0
        while back < min(3, bytes.count), bytes[bytes.count - 1 - back] & 0xC0 == 0x80 { back += 1 }
        if back < bytes.count {
            let lead = bytes[bytes.count - 1 - back]
            let needed = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
            if needed > back + 1 && !closed { end = bytes.count - 1 - back }
        }
        carry = Array(bytes[end...])
        return String(decoding: bytes[..<end], as: UTF8.self)
    }
}

/// Reads newline-terminated lines from a pipe.
struct LineReader {
    private var chunks: ChunkReader
    private var pending: [UInt8] = []
    var fd: Int32 { chunks.fd }
    var closed: Bool { chunks.closed && pending.isEmpty }

    init(fd: Int32) { chunks = ChunkReader(fd: fd) }

    /// Complete lines readable now (without their newlines).
    mutating func readAvailableLines() -> [String] {
        pending += chunks.readAvailable()
        var lines: [String] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(String(decoding: pending[..<newline], as: UTF8.self))
            pending.removeSubrange(...newline)
        }
        return lines
    }

    /// Waits for one line; nil when the pipe closed first.
    mutating func readLineBlocking() -> String? {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            if chunks.closed { return nil }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, 1000)
            pending += chunks.readAvailable()
        }
    }
}
