/// Whether forward passes must keep what their backward pass needs.
///
/// `predict`, `evaluate` and calling a model or layer on concrete tensors never pull back, so they run
/// their forward passes inside `withoutGradients`: LSTM layers then skip the per-step caches
/// (previous states, cell activations) that only the backward pass reads. Training and
/// `forwardWithMasks` keep them. Task-local, so it is scoped to the calling thread or task.
enum GradientMode {
    @TaskLocal static var disabled = false

    /// True unless the caller is inside `withoutGradients`.
    static var isEnabled: Bool { !disabled }

    /// Runs `body` with gradient caches turned off.
    static func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
        try $disabled.withValue(true, operation: body)
    }
}
