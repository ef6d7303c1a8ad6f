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

    /// Throws `LSTMKitError.interrupted(message())` when an interrupt is pending (the message is used as is).
    public static func check(message: @autoclosure () -> String) throws {
        if isRequested { throw LSTMKitError.interrupted(message()) }
    }

    /// What `fit` says when it stops between batches, counting what finished as its progress bar does
    /// ("Stopped after epoch 162/2000 … 4/8"): `fit was interrupted after epoch 162/2000 and 4 of epoch
    /// 163's 8 batches; …`.
    static func fitMessage(completedEpochs: Int, epochs: Int, completedBatches: Int, batches: Int) -> String {
        let kept = "; the model keeps the weights of the last completed batch"
        switch (completedEpochs, completedBatches) {
        case (0, 0): return "fit was interrupted before its first batch; the weights are unchanged"
        case (_, 0): return "fit was interrupted after epoch \(completedEpochs)/\(epochs)" + kept
        case (0, _): return "fit was interrupted after \(completedBatches) of epoch 1's \(batches) batches" + kept
        default:
            return "fit was interrupted after epoch \(completedEpochs)/\(epochs) and \(completedBatches) of epoch "
                + "\(completedEpochs + 1)'s \(batches) batches" + kept
        }
    }

    /// What an evaluation or prediction loop says when it stops: `evaluate was interrupted after 3 of
    /// its 8 batches; …`, counting finished batches as the progress bar does.
    static func loopMessage(_ what: String, completedBatches: Int, batches: Int, weights: String) -> String {
        completedBatches == 0 ? "\(what) was interrupted before its first batch; \(weights)"
                              : "\(what) was interrupted after \(completedBatches) of its \(batches) batches; \(weights)"
    }
}

/// C entry point for the worker: ask running LSTMKit loops to stop at the next batch boundary.
@_cdecl("lstmkit_request_interrupt")
public func lstmkit_request_interrupt() { Interruption.request() }

/// C entry point for the worker: clear a pending interrupt (called before each cell).
@_cdecl("lstmkit_clear_interrupt")
public func lstmkit_clear_interrupt() { Interruption.clear() }
