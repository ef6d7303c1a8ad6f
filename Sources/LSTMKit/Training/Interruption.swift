import Synchronization

/// Cooperative interruption of LSTMKit's loops (`fit`, `evaluate`, `predict`).
///
/// The notebook worker sets the flag from its control thread when the user presses "interrupt";
/// the loops check it between batches and throw `LSTMKitError.interrupted`. A batch is never cut in
/// half, so weights and optimizer state stay consistent and the model remains usable.
public enum Interruption {
    private static let flag = Atomic<Bool>(false)

    /// Asks every running loop to stop at its next batch boundary. Safe from any thread.
    public static func request() { flag.store(true, ordering: .releasing) }

    /// Clears a pending request (the worker calls this before each cell).
    public static func clear() { flag.store(false, ordering: .releasing) }

    /// Whether an interrupt has been requested and not cleared.
    public static var isRequested: Bool { flag.load(ordering: .acquiring) }

    /// Throws `LSTMKitError.interrupted` naming `what` (e.g. "fit at epoch 3, batch 7/10") when
    /// an interrupt is pending. The flag stays set, so enclosing loops stop too.
    public static func check(_ what: @autoclosure () -> String) throws {
        if isRequested {
            throw LSTMKitError.interrupted("\(what()) was interrupted; the model keeps the weights of the last completed batch")
        }
    }
}

/// C entry point for the worker: ask running LSTMKit loops to stop at the next batch boundary.
@_cdecl("lstmkit_request_interrupt")
public func lstmkit_request_interrupt() { Interruption.request() }

/// C entry point for the worker: clear a pending interrupt (called before each cell).
@_cdecl("lstmkit_clear_interrupt")
public func lstmkit_clear_interrupt() { Interruption.clear() }
