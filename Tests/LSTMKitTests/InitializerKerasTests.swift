import Foundation
import XCTest
@testable import LSTMKit

/// Keras's `Constant`, `VarianceScaling` and `Identity` initializers against real Keras 3
/// (tools/fixtures/fixtures_initializers.py): exact values, draw statistics for every mode and
/// distribution, Keras's serialised configs, LSTMKit's own config round trip, and the errors.
final class InitializerKerasTests: XCTestCase {
    struct Stat: Decodable {
        let shape: [Int]
        let scale: Double
        let mode: String
        let distribution: String
        let mean: Double
        let std: Double
        let maxAbs: Double
    }
    struct BuiltLayer: Decodable {
        let config: LayerConfig
        let weights: [FixtureTensor]
    }
    struct File: Decodable {
        let serialised: [String: ConfigValue]
        let layers: [BuiltLayer]
        let values: [String: FixtureTensor]
        let statistics: [Stat]
        let errors: [String: String?]
    }

    override func setUp() { LSTMKit.clearSession(); LSTMKit.setRandomSeed(4321) }

    func stats(_ t: Tensor) -> (mean: Double, std: Double, maxAbs: Double) {
        let n = Double(t.count)
        let mean = t.scalars.reduce(0.0) { $0 + Double($1) } / n
        let variance = t.scalars.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        return (mean, variance.squareRoot(), Double(t.scalars.map { Swift.abs($0) }.max() ?? 0))
    }

    func testConstantAndIdentityValuesEqualKeras() throws {
        let file = try loadFixture("initializers.json", as: File.self)
        let cases: [(String, Initializer, [Int])] = [
            ("constant_2x3", .constant(value: 0.3), [2, 3]),
            ("constant_4", .constant(value: -7), [4]),
            ("identity_3x3", .identity(), [3, 3]),
            ("identity_3x5_gain_0.5", .identity(gain: 0.5), [3, 5]),
            ("identity_5x2_gain_-2", .identity(gain: -2), [5, 2]),
        ]
        for (key, initializer, shape) in cases {
            let expected = try XCTUnwrap(file.values[key], key).tensor
            let made = try initializer.make(shape)
            XCTAssertEqual(made.shape, expected.shape, key)
            XCTAssertEqual(made.scalars, expected.scalars, key)
        }
        XCTAssertEqual(try Initializer.constant().make([2]).scalars, [0, 0], "Keras's default value is 0")
    }

    /// The same layers as Keras built them: an identity recurrent kernel (u, 4u) with gain 2 (ones only in
    /// the first gate block, as `eye(u, 4u)`), a constant LSTM bias around the unit-forget ones, an identity
    /// Dense kernel (6, 4), a GRU `reset_after` bias (2, 3u) from `identity(gain: 3)`.
    func testLayersBuildKerassDeterministicWeights() throws {
        let file = try loadFixture("initializers.json", as: File.self)
        let lstm = LSTM(units: 3, kernelInitializer: .varianceScaling(scale: 3, mode: .fanOut, distribution: .untruncatedNormal),
                        recurrentInitializer: .identity(gain: 2), biasInitializer: .constant(value: -0.25))
        try lstm.build(inputShape: [5, 2])
        XCTAssertEqual(lstm.getWeights()[1], file.layers[0].weights[1].tensor, "recurrent kernel (3, 12)")
        XCTAssertEqual(lstm.getWeights()[2], file.layers[0].weights[2].tensor, "bias with unit_forget_bias")
        let dense = Dense(units: 4, kernelInitializer: .identity(), biasInitializer: .constant(value: 1.5))
        try dense.build(inputShape: [6])
        XCTAssertEqual(dense.getWeights(), file.layers[1].weights.map(\.tensor))
        let gru = GRU(units: 2, kernelInitializer: .constant(value: 0.125), biasInitializer: .identity(gain: 3))
        try gru.build(inputShape: [4, 3])
        XCTAssertEqual(gru.getWeights()[0], file.layers[2].weights[0].tensor, "kernel")
        XCTAssertEqual(gru.getWeights()[2], file.layers[2].weights[2].tensor, "reset_after bias (2, 6)")
    }

    /// Every mode × distribution × scale on a (200, 300) kernel and an LSTM recurrent kernel (64, 256):
    /// LSTMKit's draws have Keras's formula's standard deviation and Keras's measured one (both estimates
    /// from 16 000–60 000 draws, good to ~1 %), uniform draws reach sqrt(3)·std, truncated ones stop at
    /// 2·std/0.8796…, untruncated ones do not.
    func testVarianceScalingDrawsMatchKerasInEveryModeAndDistribution() throws {
        let file = try loadFixture("initializers.json", as: File.self)
        XCTAssertEqual(file.statistics.count, 36)
        for s in file.statistics {
            let mode = try Initializer.FanMode(kerasName: s.mode)
            let distribution = try Initializer.Distribution(kerasName: s.distribution)
            let label = "\(s.shape) scale \(s.scale) \(s.mode) \(s.distribution)"
            let fanIn = Double(s.shape[0]), fanOut = Double(s.shape[1])
            let fan = mode == .fanIn ? fanIn : mode == .fanOut ? fanOut : (fanIn + fanOut) / 2
            let std = (s.scale / fan).squareRoot()
            XCTAssertEqual(s.std, std, accuracy: 0.03 * std, "Keras's draws follow the formula: \(label)")
            let mine = stats(try Initializer.varianceScaling(scale: Float(s.scale), mode: mode, distribution: distribution).make(s.shape))
            XCTAssertEqual(mine.std, std, accuracy: 0.03 * std, label)
            XCTAssertEqual(mine.std, s.std, accuracy: 0.04 * std, "against Keras's measured std: \(label)")
            XCTAssertEqual(mine.mean, 0, accuracy: 0.04 * std, label)
            switch distribution {
            case .uniform:
                let limit = (3 * s.scale / fan).squareRoot()
                XCTAssertLessThanOrEqual(mine.maxAbs, limit * (1 + 1e-6), label)
                XCTAssertGreaterThan(mine.maxAbs, 0.99 * limit, label)
            case .truncatedNormal:
                let cut = 2 * std / 0.87962566103423978
                XCTAssertLessThanOrEqual(mine.maxAbs, cut * (1 + 1e-6), label)
                XCTAssertLessThanOrEqual(s.maxAbs, cut * (1 + 1e-6), "Keras truncates at the same point: \(label)")
                XCTAssertGreaterThan(mine.maxAbs, 0.97 * cut, label)
            case .untruncatedNormal:
                XCTAssertGreaterThan(mine.maxAbs, 3 * std, "tails beyond the truncation point: \(label)")
            }
        }
    }

    func testKerasSerialisedConfigsAreRead() throws {
        let file = try loadFixture("initializers.json", as: File.self)
        func read(_ key: String) throws -> Initializer {
            try Initializer(configValue: try XCTUnwrap(file.serialised[key], key), key: "kernel_initializer")
        }
        XCTAssertEqual(try read("constant"), .constant(value: 0.3))
        XCTAssertEqual(try read("variance_scaling"), .varianceScaling(scale: 2, mode: .fanAvg, distribution: .uniform))
        XCTAssertEqual(try read("variance_scaling_normal"), .varianceScaling(scale: 0.5, mode: .fanOut, distribution: .truncatedNormal))
        XCTAssertEqual(try read("variance_scaling_default"), .varianceScaling())
        // Keras 3.15 writes Identity's config as {} (its gain is not saved), so it reads back as gain 1.
        XCTAssertEqual(try read("identity"), .identity(gain: 1))

        let lstm = try XCTUnwrap(try LayerRegistry.makeLayer(file.layers[0].config) as? LSTM)
        XCTAssertEqual(lstm.kernelInitializer, .varianceScaling(scale: 3, mode: .fanOut, distribution: .untruncatedNormal))
        XCTAssertEqual(lstm.recurrentInitializer, .identity())
        XCTAssertEqual(lstm.biasInitializer, .constant(value: -0.25))
        let dense = try XCTUnwrap(try LayerRegistry.makeLayer(file.layers[1].config) as? Dense)
        XCTAssertEqual(dense.kernelInitializer, .identity())
        XCTAssertEqual(dense.biasInitializer, .constant(value: 1.5))
        let gru = try XCTUnwrap(try LayerRegistry.makeLayer(file.layers[2].config) as? GRU)
        XCTAssertEqual(gru.kernelInitializer, .constant(value: 0.125))
        XCTAssertEqual(gru.biasInitializer, .identity())
    }

    /// Configs use Keras's class names and keys (`value`; `scale`, `mode`, `distribution`; `gain`) and survive
    /// `save(to:)` / `Model.load(from:)`.
    func testConfigsUseKerasKeysAndRoundTripThroughSave() throws {
        let lstm = LSTM(units: 3, kernelInitializer: .varianceScaling(scale: 2, mode: .fanAvg, distribution: .uniform),
                        recurrentInitializer: .identity(gain: 0.5), biasInitializer: .constant(value: 0.3), name: "enc")
        let dense = Dense(units: 2, kernelInitializer: .varianceScaling(), biasInitializer: .constant(value: -1), name: "head")
        XCTAssertEqual(lstm.config.values["kernel_initializer"], .layer(LayerConfig(className: "VarianceScaling", values: [
            "scale": .double(2), "mode": .string("fan_avg"), "distribution": .string("uniform"), "seed": .null])))
        XCTAssertEqual(lstm.config.values["recurrent_initializer"], .layer(LayerConfig(className: "Identity", values: ["gain": .double(0.5)])))
        XCTAssertEqual(lstm.config.values["bias_initializer"],
                       .layer(LayerConfig(className: "Constant", values: ["value": .double(Double(Float(0.3)))])))

        let model = try Sequential([Input(shape: [4, 2]), lstm, dense])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lstmkit-init-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        try model.save(to: url)
        let json = try String(contentsOf: url.appendingPathComponent("model.json"), encoding: .utf8)
        for needle in ["\"VarianceScaling\"", "\"fan_avg\"", "\"distribution\"", "\"Identity\"", "\"gain\"", "\"Constant\""] {
            XCTAssertTrue(json.contains(needle), "model.json names \(needle)")
        }
        let loaded = try Model.load(from: url)
        XCTAssertEqual(loaded.getWeights(), model.getWeights())
        let back = try XCTUnwrap(loaded.layers.compactMap { $0 as? LSTM }.first)
        XCTAssertEqual(back.kernelInitializer, .varianceScaling(scale: 2, mode: .fanAvg, distribution: .uniform))
        XCTAssertEqual(back.recurrentInitializer, .identity(gain: 0.5))
        XCTAssertEqual(back.biasInitializer, .constant(value: 0.3))
        XCTAssertEqual(try XCTUnwrap(loaded.layers.compactMap { $0 as? Dense }.first).kernelInitializer, .varianceScaling())
        for l in [lstm, dense] as [Layer] {
            let decoded = try JSONDecoder().decode(LayerConfig.self, from: try JSONEncoder().encode(l.config))
            XCTAssertEqual(try LayerRegistry.makeLayer(decoded).config, l.config)
        }
    }

    func testNames() throws {
        XCTAssertEqual(try Initializer(name: "constant"), .constant(value: 0))
        XCTAssertEqual(try Initializer(name: "VarianceScaling"), .varianceScaling(scale: 1, mode: .fanIn, distribution: .truncatedNormal))
        XCTAssertEqual(try Initializer(name: "variance_scaling"), .varianceScaling())
        XCTAssertEqual(try Initializer(name: "Identity"), .identity(gain: 1))
        XCTAssertEqual(try Initializer(name: "IdentityInitializer"), .identity(), "Keras's compatibility alias")
        XCTAssertEqual(Initializer.varianceScaling().className, "VarianceScaling")
        XCTAssertEqual(Initializer.identity().className, "Identity")
        XCTAssertEqual(Initializer.constant().className, "Constant")
        XCTAssertEqual(try Initializer.Distribution(kerasName: "Normal"), .truncatedNormal, "Keras maps 'normal' to the truncated one")
        XCTAssertEqual(try Initializer.Distribution(kerasName: "UNIFORM"), .uniform)
    }

    func testErrorsNameTheAllowedAndTheGiven() throws {
        let file = try loadFixture("initializers.json", as: File.self)
        for key in ["identity_rank_1", "mode", "distribution", "scale"] {
            XCTAssertNotNil(file.errors[key] ?? nil, "Keras refuses this too: \(key)")
        }
        XCTAssertThrowsError(try Initializer.FanMode(kerasName: "fan_sum")) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "unknown variance_scaling mode 'fan_sum'; expected one of 'fan_in', 'fan_out', 'fan_avg'")
        }
        XCTAssertThrowsError(try Initializer.FanMode(kerasName: "FAN_IN"), "Keras compares the mode exactly")
        XCTAssertThrowsError(try Initializer.Distribution(kerasName: "gaussian")) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message,
                           "unknown variance_scaling distribution 'gaussian'; expected one of 'truncated_normal', 'untruncated_normal', 'uniform'")
        }
        // The same through a config, as a hand-edited model.json would give them.
        var c = Dense(units: 1).config
        c.values["kernel_initializer"] = .layer(LayerConfig(className: "VarianceScaling", values: ["mode": .string("fan_max")]))
        XCTAssertThrowsError(try LayerRegistry.makeLayer(c)) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "unknown variance_scaling mode 'fan_max'; expected one of 'fan_in', 'fan_out', 'fan_avg'")
        }
        c.values["kernel_initializer"] = .layer(LayerConfig(className: "VarianceScaling", values: ["distribution": .int(3)]))
        XCTAssertThrowsError(try LayerRegistry.makeLayer(c)) { e in
            XCTAssertTrue((e as? LSTMKitError)?.message.hasPrefix("initializer VarianceScaling in 'kernel_initializer' expects 'distribution' to be a string") == true, "\(e)")
        }
        c.values["kernel_initializer"] = .layer(LayerConfig(className: "GlorotUniform", values: ["input_axes": .shape([0]), "seed": .null]))
        XCTAssertThrowsError(try LayerRegistry.makeLayer(c)) { e in
            XCTAssertTrue((e as? LSTMKitError)?.message.hasPrefix("initializer GlorotUniform in 'kernel_initializer': only 'input_axes': null") == true, "\(e)")
        }

        let bias = Dense(units: 3, biasInitializer: .identity(), name: "head")
        XCTAssertThrowsError(try bias.build(inputShape: [2])) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message,
                           "Dense 'head' biasInitializer: identity expects a 2-D weight shape (rows, columns), got [3] of rank 1")
        }
        XCTAssertFalse(bias.isBuilt)
        XCTAssertThrowsError(try Initializer.identity().make([2, 2, 2])) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "initializer: identity expects a 2-D weight shape (rows, columns), got [2, 2, 2] of rank 3")
        }
        let scale = LSTM(units: 2, kernelInitializer: .varianceScaling(scale: 0), name: "l")
        XCTAssertThrowsError(try scale.build(inputShape: [3, 1])) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "LSTM 'l' kernelInitializer: variance_scaling expects a finite scale > 0, got scale 0.0")
        }
        let nan = Dense(units: 1, kernelInitializer: .constant(value: .nan), name: "d")
        XCTAssertThrowsError(try nan.build(inputShape: [1])) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "Dense 'd' kernelInitializer: constant expects a finite value, got nan")
        }
    }
}
