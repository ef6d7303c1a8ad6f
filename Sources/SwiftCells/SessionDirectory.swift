#if canImport(Glibc)
import Glibc
#endif

/// The folder one kernel session builds its cells in (`$TMPDIR/swift-lstm-cells-<pid>-XXXXXX`: sources,
/// modules, libraries, and the compiler's own `TMPDIR`). Removed when the session ends; the pid in the name
/// lets a later kernel remove the folders of kernels that were killed before they could. The folder and
/// everything the kernel writes in it are private (0700 folders, 0600 files: see `PrivateFiles`).
public enum SessionDirectory {
    static let prefix = "swift-lstm-cells-"

    /// Creates a new session folder in `temporary` (usually `$TMPDIR`), first removing the folders of
    /// sessions whose kernel process no longer exists. `kept` (`SWIFT_LSTM_KEEP_CELLS`) leaves the pid out
    /// of the name, so no later kernel removes the folder. Nil when the folder could not be created.
    public static func create(in temporary: String, kept: Bool = false) -> String? {
        removeAbandoned(in: temporary)
        let owner = kept ? "" : "\(getpid())-"
        var template = Array("\(temporary)/\(prefix)\(owner)XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else { return nil }
        let path = String(cString: made)
        // mkdtemp asks for 0700, which a umask such as 0277 would still narrow: set it exactly.
        chmod(path, 0o700)
        return path
    }

    /// Removes the session folder and everything in it.
    public static func remove(_ path: String) {
        Subprocess.removeTree(path)
    }

    /// Removes `swift-lstm-cells-<pid>-*` folders in `temporary` whose process is gone (a kernel killed
    /// with SIGKILL cannot clean up after itself). Folders of running kernels are left alone.
    static func removeAbandoned(in temporary: String) {
        let abandoned = (Subprocess.entryNames(of: temporary) ?? []).filter { name in
            guard name.hasPrefix(prefix) else { return false }
            let rest = name.dropFirst(prefix.count)
            let digits = rest.prefix(while: \.isNumber)
            return !digits.isEmpty && rest.dropFirst(digits.count).first == "-" && Int32(digits).map {
                kill($0, 0) != 0 && errno == ESRCH
            } == true
        }
        for name in abandoned { Subprocess.removeTree("\(temporary)/\(name)") }
    }
}
