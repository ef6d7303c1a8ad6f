@_implementationOnly import CKernels
import Foundation

/// Keras's fused-kernel cases of `LSTM` and `GRU` through oneDNN's RNN primitives (`OneDNNRNN.c`).
///
/// Keras hands a recurrent layer to cuDNN when the cell is the default one (tanh and sigmoid, a bias,
/// GRU with `resetAfter`), there is no mask and no dropout; oneDNN's CPU primitives compute exactly
/// those cells, with the weights in Keras's own layout. They run a whole sequence per call, with the
/// recurrent weights packed once per pass and the gate arithmetic fused into the step's product,
/// which LSTMKit's own step loop (OpenBLAS repacks the weights on every product) cannot match. Every
/// other case, and every machine where oneDNN does not start, uses the step loop; both are held to
/// the same Keras fixtures (`make test` runs the parity suites once more with `LSTMKIT_ONEDNN=always`).
enum OneDNN {
    /// False: every pass uses LSTMKit's own step loop (`LSTMKit.useOneDNN`).
    nonisolated(unsafe) static var enabled = true

    /// True when oneDNN's CPU engine started (and `LSTMKIT_ONEDNN=0` is not set).
    static let isAvailable: Bool = lk_onednn_available() != 0

    /// Forward passes oneDNN has served in this process (tests check which path ran).
    nonisolated(unsafe) static var servedPasses = 0

    /// Whether passes may go through oneDNN now.
    static var isActive: Bool { enabled && isAvailable }

    /// Passes with fewer multiply-adds than this (B·T·G·u·(d+u) for the forward pass) use the step loop:
    /// oneDNN's fixed cost per call (memory objects, an OpenMP fork and join per step) outweighs its
    /// faster kernels there. Measured on an AMD EPYC (Zen 4), one LSTM layer, training step / prediction
    /// with oneDNN against the step loop: 1M multiply-adds (the tutorials' models) 0.25–0.3× / 0.6–0.75×,
    /// 10M 1.0× / 1.0×, 12M 1.2× / 1.3×, 94M 1.2× / 1.4×, 944M 1.3× / 1.3×. `LSTMKIT_ONEDNN=always` sets
    /// it to 0 (so the Keras parity suites, whose layers are small, run through oneDNN too).
    nonisolated(unsafe) static var minimumWork = defaultMinimumWork

    /// `minimumWork`'s value at start.
    static let defaultMinimumWork = ProcessInfo.processInfo.environment["LSTMKIT_ONEDNN"] == "always" ? 0 : 1 << 23

    /// Whether a pass of this size is worth handing to oneDNN (see `minimumWork`).
    static func worthIt(batch: Int, steps: Int, inputs: Int, units: Int, gates: Int) -> Bool {
        let (work, overflow) = batch.multipliedReportingOverflow(by: steps * gates * units * (inputs + units))
        return overflow || work >= minimumWork
    }

    /// oneDNN's cell kinds: a vanilla LSTM, or the "linear before reset" GRU (Keras's `resetAfter`).
    enum Cell: Int32 { case lstm = 0, gru = 1 }

    /// The saved forward state of a training pass, freed with it.
    final class Tape {
        let pointer: OpaquePointer
        let cell: Cell
        let batch: Int, steps: Int, inputs: Int, units: Int
        init(_ pointer: OpaquePointer, cell: Cell, batch: Int, steps: Int, inputs: Int, units: Int) {
            self.pointer = pointer
            self.cell = cell
            (self.batch, self.steps, self.inputs, self.units) = (batch, steps, inputs, units)
        }
        deinit { lk_rnn_tape_free(pointer) }
    }

    /// What a forward pass returns: outputs (B, T, u), final h and (LSTM) c, and the tape when training.
    struct Forward {
        var sequence: Tensor
        var h: Tensor
        var c: Tensor?
        var tape: Tape?
    }

    /// One pass over x (B, T, d) from h0 (and c0), the layer's weights (Keras's layout) and a oneDNN
    /// bias (4u) or nil; nil when oneDNN cannot serve it (the caller then runs its own loop). The
    /// parameters' stamps let inference reuse weights it has already packed.
    static func forward(cell: Cell, training: Bool, x: Tensor, h0: Tensor, c0: Tensor?, kernel kernelParameter: Parameter,
                        recurrent recurrentParameter: Parameter, bias: [Float]?) -> Forward? {
        let kernel = kernelParameter.value, recurrent = recurrentParameter.value
        let b = x.shape[0], t = x.shape[1], d = x.shape[2], u = h0.shape[1]
        var ok: Int32 = 0
        let slot = UnsafeMutablePointer<OpaquePointer?>.allocate(capacity: 1)
        slot.initialize(to: nil)
        defer { slot.deallocate() }
        var hT = [Float](repeating: 0, count: b * u)
        var cT = [Float](repeating: 0, count: c0 == nil ? 0 : b * u)
        let out = [Float](unsafeUninitializedCapacity: b * t * u) { buffer, count in
            x.scalars.withUnsafeBufferPointer { xp in h0.scalars.withUnsafeBufferPointer { hp in
                kernel.scalars.withUnsafeBufferPointer { kp in recurrent.scalars.withUnsafeBufferPointer { rp in
                    hT.withUnsafeMutableBufferPointer { hTp in cT.withUnsafeMutableBufferPointer { cTp in
                        withOptional(c0?.scalars) { cp in withOptional(bias) { bp in
                            ok = lk_onednn_rnn_forward(cell.rawValue, training ? 1 : 0, b, t, d, u, xp.baseAddress, hp.baseAddress,
                                                       cp, kp.baseAddress, rp.baseAddress, bp, buffer.baseAddress,
                                                       hTp.baseAddress, c0 == nil ? nil : cTp.baseAddress,
                                                       training ? slot : nil, kernelParameter.stamp,
                                                       recurrentParameter.stamp)
                        } }
                    } }
                } }
            } }
            count = ok != 0 ? b * t * u : 0
        }
        guard ok != 0 else { return nil }
        servedPasses += 1
        return Forward(sequence: Tensor(uncheckedShape: [b, t, u], scalars: out), h: Tensor(uncheckedShape: [b, u], scalars: hT),
                       c: c0 == nil ? nil : Tensor(uncheckedShape: [b, u], scalars: cT),
                       tape: slot.pointee.map { Tape($0, cell: cell, batch: b, steps: t, inputs: d, units: u) })
    }

    /// The backward pass of a taped forward: the weight gradients are added to `kernel.grad` and
    /// `recurrent.grad`, the oneDNN bias gradient to `biasGrad` (4u) when given. Returns dx (B, T, d),
    /// dh0 and (LSTM) dc0.
    static func backward(_ tape: Tape, kernel: Parameter, recurrent: Parameter, bias: [Float]?,
                         biasGrad: UnsafeMutablePointer<Float>?, dSequence: Tensor?, dh: Tensor?,
                         dc: Tensor?) -> (dx: Tensor, dh0: Tensor, dc0: Tensor?) {
        let b = tape.batch, t = tape.steps, d = tape.inputs, u = tape.units, lstm = tape.cell == .lstm
        var dx = [Float](repeating: 0, count: b * t * d)
        var dh0 = [Float](repeating: 0, count: b * u), dc0 = [Float](repeating: 0, count: lstm ? b * u : 0)
        var ok: Int32 = 0
        kernel.value.scalars.withUnsafeBufferPointer { kp in recurrent.value.scalars.withUnsafeBufferPointer { rp in
            kernel.grad.withUnsafeMutableBufferPointer { dk in recurrent.grad.withUnsafeMutableBufferPointer { dr in
                dx.withUnsafeMutableBufferPointer { dxp in dh0.withUnsafeMutableBufferPointer { dhp in
                    dc0.withUnsafeMutableBufferPointer { dcp in
                        withOptional(bias) { bp in withOptional(dSequence?.scalars) { dsp in
                            withOptional(dh?.scalars) { dhT in withOptional(dc?.scalars) { dcT in
                                ok = lk_onednn_rnn_backward(tape.pointer, kp.baseAddress, rp.baseAddress, bp, dsp, dhT, dcT,
                                                            dxp.baseAddress, dhp.baseAddress, lstm ? dcp.baseAddress : nil,
                                                            dk.baseAddress, dr.baseAddress, biasGrad)
                            } }
                        } }
                    }
                } }
            } }
        } }
        precondition(ok != 0, "internal: oneDNN's backward pass failed after its forward pass succeeded")
        return (Tensor(uncheckedShape: [b, t, d], scalars: dx), Tensor(uncheckedShape: [b, u], scalars: dh0),
                lstm ? Tensor(uncheckedShape: [b, u], scalars: dc0) : nil)
    }
}

/// `body` with a pointer to the array's elements, or nil.
@inline(__always)
private func withOptional<R>(_ a: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let a else { return body(nil) }
    return a.withUnsafeBufferPointer { body($0.baseAddress) }
}

extension LSTMKit {
    /// Whether `LSTM` and `GRU` layers in Keras's fused-kernel configuration (tanh and sigmoid, a bias,
    /// `resetAfter`, no mask, no dropout) run through oneDNN's RNN primitives (default true). Set it to
    /// false to use LSTMKit's own step loop everywhere; `LSTMKIT_ONEDNN=0` in the environment does
    /// that for the whole process. Passes under about 8M multiply-adds (the tutorials' models) use the
    /// step loop either way, since oneDNN's fixed cost per call is larger there; `LSTMKIT_ONEDNN=always`
    /// sends every eligible pass to oneDNN.
    public static var useOneDNN: Bool {
        get { OneDNN.isActive }
        set { OneDNN.enabled = newValue }
    }
}
