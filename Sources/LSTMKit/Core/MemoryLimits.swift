import Foundation

/// Size limits checked before LSTMKit allocates a tensor or a layer's weights, so a hostile or mistyped
/// shape (`units: 10000000` in a `model.json`, `Tensor.zeros([-1])`) throws an `LSTMKitError` instead of
/// trapping in the allocator.
extension LSTMKit {
    /// The most Float32 elements one tensor may hold: the machine's physical memory divided by 4 bytes.
    public static var maxTensorElements: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory / 4) }

    /// The most parameters one layer may have: a sixteenth of physical memory in bytes, i.e. room for the
    /// weights, their gradient and two optimizer slots in Float32.
    public static var maxLayerParameters: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory / 16) }

    /// The element count of `shape`: throws `invalidArgument` naming `what`, the shape and the limit when an
    /// extent is negative or the product overflows or exceeds `maxTensorElements`.
    static func elementCount(_ shape: [Int], what: String) throws -> Int {
        if let bad = shape.first(where: { $0 < 0 }) {
            throw LSTMKitError.invalidArgument("\(what) expects non-negative extents, got shape \(formatShape(shape)) with extent \(bad)")
        }
        if shape.contains(0) {
            // Empty, but strides and sizes derived from the other extents must still fit in an Int.
            guard checkedProduct(shape.filter { $0 != 0 }) != nil else {
                throw LSTMKitError.invalidArgument("\(what) of shape \(formatShape(shape)) has extents whose product does not fit in an Int")
            }
            return 0
        }
        var n = 1
        for e in shape {
            let (p, overflow) = n.multipliedReportingOverflow(by: e)
            guard !overflow, p <= maxTensorElements else {
                throw LSTMKitError.invalidArgument(
                    "\(what) of shape \(formatShape(shape)) would hold more than \(maxTensorElements) elements (the limit: physical memory / 4 bytes)")
            }
            n = p
        }
        return n
    }

    /// The product of `factors` (each ≥ 0), or nil when it overflows `Int`.
    static func checkedProduct<S: Sequence>(_ factors: S) -> Int? where S.Element == Int {
        var n = 1
        for f in factors {
            let (p, overflow) = n.multipliedReportingOverflow(by: f)
            if overflow { return nil }
            n = p
        }
        return n
    }
}
