#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to completion and collects its combined stdout and stderr (used for swiftc).
enum Subprocess {
    struct Result {
        var status: Int32
        var output: String
    }

    /// Runs `arguments[0]` (an absolute path) with `arguments`; nil when it could not be started.
    static func run(_ arguments: [String], environment: [String]? = nil) -> Result? {
        var fds: [Int32] = [0, 0]
        guard makePipe(&fds) else { return nil }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        var pid = pid_t()
        let status = withCStrings(arguments) { argv in
            withCStrings(environment ?? currentEnvironment()) { envp in
                posix_spawn(&pid, arguments[0], &actions, nil, argv, envp)
            }
        }
        close(fds[1])
        guard status == 0 else {
            close(fds[0])
            return nil
        }
        let output = readAll(fds[0])
        close(fds[0])
        var wstatus: Int32 = 0
        while waitpid(pid, &wstatus, 0) < 0 && errno == EINTR {}
        let exitCode = (wstatus & 0x7f) == 0 ? (wstatus >> 8) & 0xff : 128 + (wstatus & 0x7f)
        return Result(status: exitCode, output: String(decoding: output, as: UTF8.self))
    }

    /// A pipe whose ends are closed in spawned children (Glibc does not expose `pipe2`).
    static func makePipe(_ fds: inout [Int32]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return true
    }

    static func readAll(_ fd: Int32) -> [UInt8] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
            if n > 0 {
                data.append(contentsOf: buffer[0..<n])
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return data
            }
        }
    }

    /// The current environment with `TMPDIR` set to `directory`. The swiftc driver leaves a
    /// `TemporaryDirectory.XXXXXX` folder in `$TMPDIR` on every run, so the cell engine runs its tools with
    /// `TMPDIR` inside the session's folder, which goes when the session ends.
    static func environment(temporaryDirectory directory: String) -> [String] {
        currentEnvironment().filter { !$0.hasPrefix("TMPDIR=") } + ["TMPDIR=\(directory)"]
    }

    /// Removes everything inside `directory` (what tools left there), keeping the folder.
    static func emptyDirectory(_ directory: String) {
        for name in entryNames(of: directory) ?? [] { removeTree(directory + "/" + name) }
    }

    /// The names in folder `path` (without `.` and `..`), or nil when it cannot be opened.
    static func entryNames(of path: String) -> [String]? {
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// `rm -rf path` without following symbolic links.
    static func removeTree(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            emptyDirectory(path)
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    static func currentEnvironment() -> [String] {
        var result: [String] = []
        var p = environ
        while let entry = p.pointee {
            result.append(String(cString: entry))
            p += 1
        }
        return result
    }

    /// Calls `body` with a NULL-terminated C array of the strings (valid only inside `body`).
    static func withCStrings<R>(_ strings: [String],
                                _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }
}
