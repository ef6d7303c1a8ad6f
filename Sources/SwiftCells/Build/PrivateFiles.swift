import Crypto

#if canImport(Glibc)
import Glibc
#endif

/// Files and folders only their owner can read: folders 0700, files 0600, whatever the umask (every
/// creation is followed by an explicit chmod, since the umask can only take bits away, and a umask of
/// 0 would otherwise leave them open). Cells' string literals end up in their libraries, so everything
/// the kernel writes for them is private.
enum PrivateFiles {
    /// Creates `path` and its missing parents as 0700 folders. Folders that already exist are left exactly
    /// as they are: they may be shared ones (`/tmp`, a home folder, a team share) whose permissions are not
    /// ours to change, even when the kernel runs as their owner.
    @discardableResult
    static func makeDirectory(_ path: String) -> Bool {
        var info = stat()
        if stat(path, &info) == 0 { return (info.st_mode & S_IFMT) == S_IFDIR }
        let parent = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        if !parent.isEmpty && parent != path { guard makeDirectory(parent) else { return false } }
        if mkdir(path, 0o700) == 0 { return chmod(path, 0o700) == 0 }
        // Made by a concurrent kernel in the meantime: fine if it is a folder.
        return errno == EEXIST && stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Why `path` (an existing folder) must not hold code the kernel will load, or nil when it may: it must
    /// be ours, not a symbolic link, and writable by nobody else (whoever can write there could plant a
    /// library together with a matching checksum).
    static func untrustedReason(_ path: String) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return "it cannot be read (\(String(cString: strerror(errno))))" }
        if (info.st_mode & S_IFMT) == S_IFLNK { return "it is a symbolic link" }
        if (info.st_mode & S_IFMT) != S_IFDIR { return "it is not a folder" }
        if info.st_uid != geteuid() { return "it belongs to user \(info.st_uid), not to this kernel's user \(geteuid())" }
        if info.st_mode & 0o022 != 0 { return String(format: "others can write to it (mode %o)", info.st_mode & 0o777) }
        return nil
    }

    /// Writes `bytes` to a new file at `path` (replacing one there), mode 0600.
    static func write(_ bytes: [UInt8], to path: String) -> Bool {
        // Written under a name of this process's own, then renamed over `path`: two kernels writing the
        // same file at once (two installs of one package set) each replace it whole, neither fails.
        let temporary = "\(path).\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        var written = fchmod(fd, 0o600) == 0
        var offset = 0
        while written && offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { written = false } else { offset += n }
        }
        close(fd)
        guard written, rename(temporary, path) == 0 else {
            unlink(temporary)
            return false
        }
        return true
    }

    /// The SHA-256 (hex) and size of a file's content as copied from `source` to a new file `target`
    /// (mode 0600, replacing one there): the digest is of exactly the bytes written, so a later check
    /// cannot be raced by a change to the source. Nil when either file fails.
    static func copy(from source: String, to target: String) -> (digest: String, size: Int)? {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { return nil }
        defer { close(input) }
        unlink(target)
        let output = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard output >= 0 else { return nil }
        defer { close(output) }
        guard fchmod(output, 0o600) == 0 else { return nil }
        var hash = SHA256()
        var size = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { break }
            hash.update(data: buffer[0..<n])
            size += n
            var offset = 0
            while offset < n {
                let w = buffer[offset..<n].withUnsafeBytes { Glibc.write(output, $0.baseAddress, $0.count) }
                if w < 0 && errno == EINTR { continue }
                if w <= 0 { return nil }
                offset += w
            }
        }
        return (hash.finalize().map { String(format2: $0) }.joined(), size)
    }

    /// Makes every file under `path` 0600 and every folder 0700 (what compilers wrote with the umask's
    /// modes); symbolic links are left alone. `recursive` false: only `path`'s direct entries.
    static func restrict(_ path: String, recursive: Bool = true) {
        guard let names = Subprocess.entryNames(of: path) else { return }
        chmod(path, 0o700)
        for name in names {
            let child = path + "/" + name
            var info = stat()
            guard lstat(child, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                if recursive { restrict(child) } else { chmod(child, 0o700) }
            case S_IFREG:
                if info.st_mode & 0o7777 != 0o600 { chmod(child, 0o600) }
            default:
                break
            }
        }
    }
}

private extension String {
    /// Two lowercase hex digits.
    init(format2 byte: UInt8) {
        let digits = Array("0123456789abcdef")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }
}
