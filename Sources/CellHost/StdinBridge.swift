#if canImport(Glibc)
import Glibc
#endif

/// Routes `readLine()` in a cell to the kernel: the worker's stdin is /dev/null, and reads of `stdin`
/// through `__getdelim` (what the Swift runtime's `readLine` calls) become `input_request` events whose
/// answer arrives as an `input`/`noinput` command. When the request did not allow stdin, `readLine()`
/// returns nil at once, so a cell never hangs waiting for a keyboard it does not have.
enum StdinBridge {
    nonisolated(unsafe) static var active = false
    nonisolated(unsafe) static var allowStdin = false
    nonisolated(unsafe) static var mutex = pthread_mutex_t()
    nonisolated(unsafe) static var answered = pthread_cond_t()
    nonisolated(unsafe) static var waiting = false
    nonisolated(unsafe) static var reply: String??

    static func setUp() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&answered, nil)
        active = true
    }

    /// Delivers the kernel's answer (nil: no input) to a waiting `readLine`.
    static func deliver(_ line: String?) {
        pthread_mutex_lock(&mutex)
        if waiting { reply = .some(line) }
        pthread_cond_signal(&answered)
        pthread_mutex_unlock(&mutex)
    }

    /// Whether a cell is blocked in `readLine` (an interrupt then answers it with nil).
    static var isWaiting: Bool {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return waiting
    }

    /// Asks the kernel for a line; nil when stdin is not allowed or the frontend gave none.
    static func requestLine() -> String? {
        guard allowStdin else { return nil }
        pthread_mutex_lock(&mutex)
        waiting = true
        reply = nil
        pthread_mutex_unlock(&mutex)
        WorkerHost.send(["input_request", ""])
        pthread_mutex_lock(&mutex)
        while reply == nil { pthread_cond_wait(&answered, &mutex) }
        let line = reply!
        waiting = false
        reply = nil
        pthread_mutex_unlock(&mutex)
        return line
    }
}

typealias GetDelim = @convention(c) (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                      UnsafeMutablePointer<Int>?, Int32, UnsafeMutablePointer<FILE>?) -> Int

/// glibc's own `__getdelim`, for every stream but a cell's stdin (and for the kernel process).
private let realGetDelim: GetDelim? = {
    // RTLD_NEXT is ((void *) -1l).
    dlsym(UnsafeMutableRawPointer(bitPattern: -1), "__getdelim").map { unsafeBitCast($0, to: GetDelim.self) }
}()

/// Interposes glibc's `__getdelim` (the executable is linked with `--export-dynamic`): the Swift
/// runtime's `readLine()` reads stdin through it.
@_cdecl("__getdelim")
public func cellHostGetDelim(_ line: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                             _ capacity: UnsafeMutablePointer<Int>?, _ delimiter: Int32,
                             _ stream: UnsafeMutablePointer<FILE>?) -> Int {
    guard StdinBridge.active, stream == stdin, let line, let capacity else {
        return realGetDelim?(line, capacity, delimiter, stream) ?? -1
    }
    guard let text = StdinBridge.requestLine() else { return -1 }
    let bytes = Array(text.utf8) + [UInt8(truncatingIfNeeded: delimiter)]
    let buffer = realloc(line.pointee, bytes.count + 1)!.assumingMemoryBound(to: CChar.self)
    bytes.withUnsafeBytes { _ = memcpy(buffer, $0.baseAddress!, bytes.count) }
    buffer[bytes.count] = 0
    line.pointee = buffer
    capacity.pointee = bytes.count + 1
    return bytes.count
}
