import Foundation
import JupyterKernel
import SwiftCells

/// The magics a cell may start with (IPython's names and meanings, for Swift).
enum CellMagic: Equatable {
    /// No magic: plain Swift.
    case none(String)
    /// `%%time`: run the cell and report wall and CPU time.
    case time(String)
    /// `%timeit <statement>`: repeat the statement and report mean ± standard deviation per loop.
    case timeit(statement: String, rest: String)
    /// `%who`: the names in scope with their kinds (and types of values).
    case who(rest: String)
    /// `%reset`: drop all state.
    case reset(rest: String)
    /// `%lsmagic`: list the magics.
    case lsmagic(rest: String)

    static let known = ["%%time", "%timeit", "%who", "%reset", "%lsmagic", "%install", "%install-swiftpm-flags",
                        "%include", "!"]

    /// Reads the magic on the cell's first non-blank line, if any.
    static func parse(_ code: String) throws(CellError) -> CellMagic {
        let lines = code.split(separator: "\n", omittingEmptySubsequences: false)
        guard let index = lines.firstIndex(where: { !$0.allSatisfy(\.isWhitespace) }),
              lines[index].drop(while: \.isWhitespace).hasPrefix("%") else { return .none(code) }
        let first = lines[index].trimmingCharacters(in: .whitespaces)
        let rest = lines[(index + 1)...].joined(separator: "\n")
        let name = String(first.prefix { !$0.isWhitespace })
        let argument = first.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
        switch name {
        case "%%time":
            return .time(rest)
        case "%timeit":
            guard !argument.isEmpty else { throw .magic("%timeit needs a statement, e.g. `%timeit xs.sorted()`") }
            return .timeit(statement: argument, rest: rest)
        case "%who":
            return .who(rest: rest)
        case "%reset":
            return .reset(rest: rest)
        case "%lsmagic":
            return .lsmagic(rest: rest)
        default:
            throw .magic("unknown magic \(name). Known magics: \(known.joined(separator: ", "))")
        }
    }

    /// The code without a leading cell magic line (for `is_complete`).
    static func strippingCellMagic(_ code: String) -> String {
        guard code.hasPrefix("%%") else { return code }
        return code.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).dropFirst().joined()
    }
}

extension SwiftInterpreter {
    /// Runs a parsed cell: the magic's own work, then any Swift after it.
    func run(_ magic: CellMagic, session: CellSession, request: ExecuteRequest,
             context: ExecutionContext) -> ExecutionOutcome {
        func say(_ text: String) { if !request.silent { context.publishStream(.stdout, text) } }
        switch magic {
        case .none(let code):
            return runCode(code, session: session, request: request, context: context).0
        case .time(let code):
            let cpuBefore = Self.cpuSeconds(session.workerPID)
            let start = Date()
            let (outcome, summary) = runCode(code, session: session, request: request, context: context)
            let wall = Date().timeIntervalSince(start)
            let cpu = Self.cpuSeconds(session.workerPID).map { after in
                cpuBefore.map { (after.user - $0.user, after.system - $0.system) } ?? after
            }
            var report = cpu.map { String(format: "CPU times: user %.3f s, sys: %.3f s, total: %.3f s\n",
                                          $0.0, $0.1, $0.0 + $0.1) } ?? ""
            report += String(format: "Wall time: %.3f s", wall)
            if let summary {
                let build = summary.timings.compile + summary.timings.link
                report += summary.cached ? " (build cached" : String(format: " (compile and link %.3f s", build)
                report += String(format: ", run %.3f s)", summary.runSeconds)
            }
            say(report + "\n")
            return outcome
        case .timeit(let statement, let rest):
            let (outcome, _) = runCode(Self.timeitProgram(statement), session: session, request: request,
                                       context: context)
            guard case .ok = outcome else { return outcome }
            return runCode(rest, session: session, request: request, context: context).0
        case .who(let rest):
            if let installed = session.installed {
                let list = installed.requests.map { "\($0.name) (\($0.products.joined(separator: ", ")))" }
                say("Installed packages: " + list.joined(separator: "; ") + "\n")
            }
            let names = session.pipeline.table.names
            if names.isEmpty {
                say("No names defined yet.\n")
            } else {
                // Values get their dynamic type from a tiny cell; other names show their kind.
                let lines = names.map { entry -> String in
                    switch entry.kind {
                    case .let, .var:
                        return "print(\"\(entry.name)\\t\(entry.kind.rawValue)\\t\\(type(of: \(entry.name)))\")"
                    default:
                        return "print(\"\(entry.name)\\t\(entry.kind.rawValue)\")"
                    }
                }
                let (outcome, _) = runCode("do {\n" + lines.joined(separator: "\n") + "\n}", session: session,
                                           request: request, context: context)
                guard case .ok = outcome else { return outcome }
            }
            return runCode(rest, session: session, request: request, context: context).0
        case .reset(let rest):
            session.reset()
            say("All names from earlier cells were dropped and the worker was restarted.\n")
            return runCode(rest, session: session, request: request, context: context).0
        case .lsmagic(let rest):
            say("""
                Available magics (on the first line of a cell):
                  %%time          run the cell and report wall and CPU time
                  %timeit STMT    repeat STMT and report mean ± std. dev. per loop
                  %who            names defined by earlier cells, with their kinds and types
                  %reset          drop all state (names of earlier cells) and restart the worker
                  %lsmagic        this list
                On any line of a cell (run before the cell's Swift code, installs first):
                  %install SPEC PRODUCT…        build and load a Swift package, SPEC as in Package.swift:
                                                .package(url: "https://github.com/apple/swift-collections", from: "1.1.0")
                  %install-swiftpm-flags FLAGS  extra `swift build` flags for this cell's install set
                  %include FILE.swift           compile and run a Swift file as a cell (relative to the notebook)
                  !COMMAND                      run a shell command in the notebook's folder

                """)
            return runCode(rest, session: session, request: request, context: context).0
        }
    }

    /// A cell that times `statement`: loops grow tenfold until one batch takes 0.2 s, then 7 batches.
    /// Everything sits in a `do` block so none of its helper names becomes state.
    static func timeitProgram(_ statement: String) -> String {
        """
        do {
            let clock = ContinuousClock()
            func seconds(_ d: Duration) -> Double {
                Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
            }
            var loops = 1
            while loops < 10_000_000 {
                let t = seconds(clock.measure { for _ in 0..<loops { \(statement) } })
                if t >= 0.2 { break }
                loops *= 10
            }
            var perLoop: [Double] = []
            for _ in 0..<7 {
                perLoop.append(seconds(clock.measure { for _ in 0..<loops { \(statement) } }) / Double(loops))
            }
            let mean = perLoop.reduce(0, +) / 7
            let std = (perLoop.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 7).squareRoot()
            func show(_ s: Double) -> String {
                if s >= 1 { return "\\((s * 1000).rounded() / 1000) s" }
                if s >= 1e-3 { return "\\((s * 1e5).rounded() / 100) ms" }
                if s >= 1e-6 { return "\\((s * 1e8).rounded() / 100) µs" }
                return "\\((s * 1e11).rounded() / 100) ns"
            }
            print("\\(show(mean)) ± \\(show(std)) per loop (mean ± std. dev. of 7 runs, \\(loops) loops each)")
        }
        """
    }

    /// User and system CPU seconds of a process, from /proc/<pid>/stat.
    static func cpuSeconds(_ pid: pid_t?) -> (user: Double, system: Double)? {
        guard let pid, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command name: state is field 3, utime 14 and stime 15 (1-based, man proc).
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (user / ticks, system / ticks)
    }
}
