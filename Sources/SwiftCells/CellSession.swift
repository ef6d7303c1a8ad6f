#if canImport(Glibc)
import Glibc
#endif

/// What a successful cell produced besides its streamed output.
public struct CellSummary: Sendable {
    /// The built cell (module number, library).
    public var build: CellBuild
    /// Whether the build came from the cache.
    public var cached: Bool
    /// Seconds per stage (parse, generate, compile, link in the kernel; load, run in the worker).
    public var timings: PipelineTimings
    /// Seconds from sending the cell to the worker until its end was reported (load + run + overhead).
    public var runSeconds: Double
}

/// One kernel session of Swift cells: the pipeline (analysis, generation, build cache, compiler) plus
/// the worker process that runs them. No Jupyter types: the executable adapts it to `Interpreter`.
///
/// `execute`, `reset` and `shutdown` are called from one thread (the shell thread); `interrupt` from any.
public final class CellSession: @unchecked Sendable {
    public let pipeline: CellPipeline
    private let executable: String
    private let workDirectory: String
    private let trapLocator: TrapLocator
    private var worker: WorkerProcess?
    /// The frontend renders widgets (`setFrontendHasWidgets`); each new worker is told.
    private var frontendHasWidgets = false
    private var lock = pthread_mutex_t()
    private var interruptRequested = false
    /// Builds `%install` sets; nil when no cache folder could be made.
    private let installer: PackageInstaller?
    /// The newest install set (it holds every earlier one), loaded into the worker.
    public private(set) var installed: InstalledPackages?

    /// Sets up the pipeline for products in `binDirectory` and starts a worker (`executable worker`).
    public init(executable: String, binDirectory: String, workDirectory: String) throws(CellError) {
        // `swiftc --version` leaves a folder in $TMPDIR: give it the session's own, emptied at once.
        let temporary = workDirectory + "/tmp"
        PrivateFiles.makeDirectory(temporary)
        let toolchain = try Toolchain.discover(binDirectory: binDirectory, temporaryDirectory: temporary)
        Subprocess.emptyDirectory(temporary)
        pipeline = CellPipeline(toolchain: toolchain, workDirectory: workDirectory, diskCache: DiskBuildCache.standard())
        self.executable = executable
        trapLocator = TrapLocator(swiftc: toolchain.swiftc)
        installer = PackageInstaller(toolchain: toolchain)
        self.workDirectory = workDirectory
        pthread_mutex_init(&lock, nil)
        worker = try WorkerProcess(executable: executable, library: toolchain.lstmKitLibrary)
    }

    /// The cell module of the last cell that compiled (its `<cell N>` label), for naming locations.
    public private(set) var lastModule: Int?

    /// The worker's process id (for CPU-time measurements), when one is running.
    public var workerPID: pid_t? {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return worker?.pid
    }

    /// The import prelude the next cell gets (for completion).
    public func importHeader() -> String { pipeline.importHeader() }

    /// What an interrupt that ended only the cell's thread says.
    public static let stoppedInOwnCode = "the cell was stopped while it ran its own code; "
        + "the state of earlier cells is kept"

    /// Compiles and runs one cell; output streams to `sink` while it runs, and what the worker prints
    /// after the cell ended (a thread it started) goes to `lateSink` until the next cell. On failure
    /// nothing of the cell's declarations is recorded.
    public func execute(_ code: String, allowStdin: Bool, sink: CellOutputSink,
                        lateSink: CellOutputSink? = nil) -> Result<CellSummary, CellError> {
        let result = executeOnce(code, allowStdin: allowStdin, sink: sink, retryingCachedLoad: true)
        pthread_mutex_lock(&lock)
        let current = worker
        pthread_mutex_unlock(&lock)
        if let lateSink { current?.watchBetweenCells(sink: lateSink) }
        return result
    }

    private func executeOnce(_ code: String, allowStdin: Bool, sink: CellOutputSink,
                             retryingCachedLoad: Bool) -> Result<CellSummary, CellError> {
        pthread_mutex_lock(&lock)
        interruptRequested = false
        pthread_mutex_unlock(&lock)
        lastModule = nil
        let prepared: PreparedCell
        do {
            prepared = try pipeline.prepare(code)
        } catch {
            return .failure(error)
        }
        lastModule = prepared.build.module
        let worker: WorkerProcess
        do {
            worker = try liveWorker()
        } catch {
            return .failure(error)
        }
        pthread_mutex_lock(&lock)
        let stopEarly = interruptRequested
        pthread_mutex_unlock(&lock)
        if stopEarly { return .failure(.interrupted(workerRestarted: false, detail: "")) }

        var filter = RuntimeMessageFilter()
        let start = Clock.now()
        let result = worker.run(prepared.build, allowStdin: allowStdin, sink: sink, filter: &filter)
        let runSeconds = Clock.now() - start
        pthread_mutex_lock(&lock)
        let interrupted = interruptRequested
        pthread_mutex_unlock(&lock)
        switch result {
        case .finished(let load, let run):
            pipeline.commit(prepared)
            var timings = prepared.timings
            timings.load = load
            timings.run = run
            return .success(CellSummary(build: prepared.build, cached: prepared.cached,
                                        timings: timings, runSeconds: runSeconds))
        case .threw(let typeName, let description):
            if interrupted { return .failure(.interrupted(workerRestarted: false, detail: description)) }
            return .failure(.threw(typeName: typeName, description: description))
        case .trapped, .killedAfterInterrupt, .stoppedByInterrupt:
            return .failure(trapOrInterruptFailure(result))
        case .loadFailed(let message):
            // A library from the cache that does not load is dropped and the cell compiled afresh; the
            // worker and its state are untouched.
            if prepared.cached && retryingCachedLoad {
                pipeline.discard(prepared)
                return executeOnce(code, allowStdin: allowStdin, sink: sink, retryingCachedLoad: false)
            }
            return .failure(.load(message))
        case .died(let reason, let report):
            replaceWorker()
            if let parsed = RuntimeMessageFilter.parse(report) {
                return .failure(.trapped(message: parsed.message, location: parsed.location, workerSurvived: false))
            }
            return .failure(.workerDied(reason: reason))
        }
    }

    /// Forgets an earlier interrupt: called before work the kernel does itself (an install, a `!` line).
    public func beginKernelWork() {
        pthread_mutex_lock(&lock)
        interruptRequested = false
        pthread_mutex_unlock(&lock)
    }

    /// Whether an interrupt arrived since `beginKernelWork` or the start of the last cell. Any thread.
    public var interruptPending: Bool {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return interruptRequested
    }

    /// Installs packages (`%install`): builds the set of `requests` plus every earlier install (or finds
    /// it in the cache), loads its library into the worker and lets later cells import it. `progress` gets
    /// the build's output while it runs. On failure nothing changes: state, earlier installs, later cells.
    public func install(_ requests: [InstallRequest], flags: [String],
                        progress: (String) -> Void) -> Result<(InstalledPackages, cached: Bool), CellError> {
        guard let installer else {
            return .failure(.install("the package cache folder could not be created (set SWIFT_LSTM_INSTALL_CACHE)"))
        }
        var all = installed?.requests ?? []
        for request in requests {
            if let i = all.firstIndex(where: { $0.identity == request.identity }) {
                guard all[i].spec == request.spec else {
                    return .failure(.install("package '\(request.name)' is already installed as `\(all[i].spec)`; "
                        + "a different spec for it (`\(request.spec)`) needs a new kernel"))
                }
                for product in request.products where !all[i].products.contains(product) {
                    all[i].products.append(product)
                }
            } else {
                all.append(request)
            }
        }
        let built: (InstalledPackages, cached: Bool)
        beginKernelWork()
        do {
            built = try installer.install(all, flags: flags, temporaryDirectory: workDirectory + "/tmp",
                                          shouldStop: { self.interruptPending }, progress: progress)
        } catch {
            if interruptPending {
                return .failure(.interrupted(workerRestarted: false,
                                             detail: "the install was interrupted; nothing was installed"))
            }
            return .failure(error)
        }
        let worker: WorkerProcess
        do {
            worker = try liveWorker()
        } catch {
            return .failure(error)
        }
        if let message = worker.load(built.0.libraryPath) {
            return .failure(.install("the packages were built but did not load into the worker: \(message)"))
        }
        installed = built.0
        pipeline.usePackages(built.0)
        return .success(built)
    }

    /// Runs the handler of the worker-side object behind comm `id` for a frontend's comm message (`kind`
    /// `msg` or `close`; `json` is the message's `data`), streaming its output to `sink`. Nothing runs when
    /// no worker is alive (its objects are gone with it). Shell thread, while no cell runs.
    public func comm(_ id: String, json: String, kind: String, sink: CellOutputSink,
                     lateSink: CellOutputSink? = nil) -> Result<Void, CellError> {
        pthread_mutex_lock(&lock)
        interruptRequested = false
        let current = worker
        pthread_mutex_unlock(&lock)
        guard let current else { return .success(()) }
        defer { if let lateSink { current.watchBetweenCells(sink: lateSink) } }
        var filter = RuntimeMessageFilter()
        let result = current.comm(id, json: json, kind: kind, sink: sink, filter: &filter)
        switch result {
        case .finished:
            return .success(())
        case .threw(let typeName, let description):
            return .failure(.threw(typeName: typeName, description: description))
        case .trapped, .killedAfterInterrupt, .stoppedByInterrupt:
            return .failure(trapOrInterruptFailure(result))
        case .loadFailed(let message):
            return .failure(.load(message))
        case .died(let reason, _):
            replaceWorker()
            return .failure(.workerDied(reason: reason))
        }
    }

    /// The error for the outcomes a cell and a comm handler share: a trap the worker survived, an
    /// interrupt that ended only the running thread, or one whose worker had to be killed (a new one
    /// replaces it).
    private func trapOrInterruptFailure(_ result: WorkerRunResult) -> CellError {
        switch result {
        case .trapped(_, let report, let library, let offset):
            return trapError(report: report, library: library, offset: offset, survived: true)
        case .killedAfterInterrupt:
            replaceWorker()
            return .interrupted(workerRestarted: true, detail: "")
        case .stoppedByInterrupt:
            return .interrupted(workerRestarted: false, detail: Self.stoppedInOwnCode)
        default:
            preconditionFailure("internal: \(result) is not a trap or an interrupt")
        }
    }

    /// Asks the running cell to stop; see `WorkerProcess.interrupt`. Any thread.
    public func interrupt() {
        pthread_mutex_lock(&lock)
        interruptRequested = true
        let current = worker
        pthread_mutex_unlock(&lock)
        current?.interrupt()
    }

    /// Drops every name earlier cells declared and starts a fresh worker (`%reset`).
    public func reset() {
        replaceWorker()
    }

    /// Stops the worker.
    public func shutdown() {
        pthread_mutex_lock(&lock)
        let current = worker
        worker = nil
        pthread_mutex_unlock(&lock)
        current?.terminate()
    }

    /// Tells the worker (and every later one) that the frontend renders widgets (`fit` then reports to
    /// widgets). Shell thread, while no cell runs.
    public func setFrontendHasWidgets() {
        pthread_mutex_lock(&lock)
        frontendHasWidgets = true
        let current = worker
        pthread_mutex_unlock(&lock)
        current?.announceWidgets()
    }

    private func liveWorker() throws(CellError) -> WorkerProcess {
        pthread_mutex_lock(&lock)
        let current = worker
        pthread_mutex_unlock(&lock)
        if let current { return current }
        let fresh = try WorkerProcess(executable: executable, library: pipeline.toolchain.lstmKitLibrary)
        // A new worker (after %reset or a crash) gets the installed packages again.
        if let installed, let message = fresh.load(installed.libraryPath) {
            fresh.terminate()
            throw .setup("the installed packages did not load into the new worker: \(message)")
        }
        pthread_mutex_lock(&lock)
        worker = fresh
        let widgets = frontendHasWidgets
        pthread_mutex_unlock(&lock)
        if widgets { fresh.announceWidgets() }
        return fresh
    }

    /// Kills the current worker and forgets all state; the next cell starts a new worker.
    private func replaceWorker() {
        pthread_mutex_lock(&lock)
        let old = worker
        worker = nil
        pthread_mutex_unlock(&lock)
        old?.terminate()
        pipeline.resetState()
        // Start the replacement now, so the next cell does not pay for it.
        _ = try? liveWorker()
    }

    private func trapError(report: [String], library: String, offset: Int, survived: Bool) -> CellError {
        let located = trapLocator.locate(library: library, offset: offset)
        if let parsed = RuntimeMessageFilter.parse(report) {
            return .trapped(message: parsed.message, location: parsed.location ?? located.location, workerSurvived: survived)
        }
        // No message: a check compiled without one (e.g. a precondition in optimised library code).
        let message = located.check.map { "Fatal error: \($0)" }
            ?? "Fatal error: a runtime check failed (the program stopped with SIGILL/SIGTRAP and no message)"
        return .trapped(message: message, location: located.location, workerSurvived: survived)
    }
}
