import Foundation

/// Jupyter's directories, by the same rules as `jupyter_core.paths` on Linux.
public enum JupyterPaths {
    /// The user data directory: `$JUPYTER_DATA_DIR`, else `$XDG_DATA_HOME/jupyter`, else
    /// `~/.local/share/jupyter`. Kernelspecs live in its `kernels/` folder.
    public static func dataDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let dir = environment["JUPYTER_DATA_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("jupyter")
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".local/share/jupyter")
    }
}
