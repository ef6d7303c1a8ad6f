import Foundation

/// Files only their owner may read: the kernel's history holds every cell's source (string literals,
/// tokens pasted into a cell), so its folder is 0700 and its files 0600 whatever the umask, and a folder or
/// file left wider by an older version is tightened on the next write.
enum PrivateFiles {
    /// Appends `bytes` to `fileURL` with one `write` on an `O_APPEND` descriptor (so lines from two kernels
    /// never interleave), creating the file 0600 and its folder 0700 when missing.
    static func append(_ bytes: Data, to fileURL: URL) throws {
        try makeFolder(fileURL.deletingLastPathComponent())
        let fd = open(fileURL.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        _ = fchmod(fd, 0o600)
        let written = bytes.withUnsafeBytes { raw in write(fd, raw.baseAddress, raw.count) }
        guard written == bytes.count else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    /// Creates `folder` (and missing parents) and makes the last component 0700.
    static func makeFolder(_ folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        _ = chmod(folder.path, 0o700)
    }
}
