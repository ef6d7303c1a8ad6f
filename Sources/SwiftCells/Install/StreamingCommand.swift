#if canImport(Glibc)
import Glibc
#endif

/// Runs a program in a given folder and hands its combined stdout and stderr to a callback as it
/// arrives (`swift build` for `%install`, `/bin/sh -c` for `!command` lines).
public enum StreamingCommand {
    /// Runs `arguments` (the first a path or a name on `PATH`) in `directory`; `onOutput` gets each piece of text
    /// as it is read. Returns the exit status (128 + signal when killed) and the whole output, or nil when
    /// the program could not be started.
    ///
    /// `shouldStop` is asked every 0.1 s; when it says yes, the program's process group (it gets one of
    /// its own, with everything it starts) is killed and the status is 128 + SIGKILL.
    public static func run(_ arguments: [String], directory: String, environment: [String]? = nil,
                           shouldStop: () -> Bool = { false },
                           onOutput: (String) -> Void) -> (status: Int32, output: String)? {
        var fds: [Int32] = [0, 0]
        guard Subprocess.makePipe(&fds) else { return nil }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        var pid = pid_t()
        // The shell changes into `directory`, then becomes the program (Glibc's module does not offer
        // posix_spawn_file_actions_addchdir_np).
        let command = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory] + arguments
        let status = Subprocess.withCStrings(command) { argv in
            Subprocess.withCStrings(environment ?? Subprocess.currentEnvironment()) { envp in
                posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
            }
        }
        close(fds[1])
        guard status == 0 else {
            close(fds[0])
            return nil
        }
        var output: [UInt8] = []
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var stopped = false
        while true {
            var poller = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 100)
            if !stopped && shouldStop() {
                stopped = true
                kill(-pid, SIGKILL)
            }
            if ready == 0 || (ready < 0 && errno == EINTR) { continue }
            let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, 65536) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            output.append(contentsOf: buffer[0..<n])
            pending.append(contentsOf: buffer[0..<n])
            // Whole UTF-8 characters only: keep an incomplete sequence at the end for the next read.
            var cut = pending.count
            var back = 0
            while back < 4 && cut - back - 1 >= 0 && (pending[cut - back - 1] & 0xC0) == 0x80 { back += 1 }
            if cut - back - 1 >= 0 && pending[cut - back - 1] >= 0xC0 {
                let lead = pending[cut - back - 1]
                let needed = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : 1
                if back < needed { cut = cut - back - 1 }
            }
            if cut > 0 {
                onOutput(String(decoding: pending[..<cut], as: UTF8.self))
                pending.removeFirst(cut)
            }
        }
        if !pending.isEmpty { onOutput(String(decoding: pending, as: UTF8.self)) }
        close(fds[0])
        var wstatus: Int32 = 0
        while waitpid(pid, &wstatus, 0) < 0 && errno == EINTR {}
        let exitCode = (wstatus & 0x7f) == 0 ? (wstatus >> 8) & 0xff : 128 + (wstatus & 0x7f)
        return (exitCode, String(decoding: output, as: UTF8.self))
    }
}
