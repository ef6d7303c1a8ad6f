import Foundation
import XCTest
@testable import LSTMKit

/// Keras's initializers (`kernelInitializer:` etc.): limits and statistics on large tensors, Keras's fans,
/// seeded reproducibility, names, validation and config round trips.
final class InitializerTests: XCTestCase {
    override func setUp() { LSTMKit.clearSession(); LSTMKit.setRandomSeed(1234) }

    func stats(_ t: Tensor) -> (mean: Double, std: Double, maxAbs: Float) {
        let n = Double(t.count)
        let mean = t.scalars.reduce(0.0) { $0 + Double($1) } / n
        let variance = t.scalars.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        return (mean, variance.squareRoot(), t.scalars.map { Swift.abs($0) }.max() ?? 0)
    }

    /// Shape (200, 300): fanIn 200, fanOut 300, 60 000 draws (the std estimate is good to well under 2%).
    func testVarianceScalingFamilyMatchesKerasDefinitions() throws {
        let shape = [200, 300]
        let fanIn = 200.0, fanAvg = 250.0
        let truncation = 0.87962566103423978
        let uniform: [(Initializer, Double)] = [(.glorotUniform, (3 / fanAvg).squareRoot()), (.heUniform, (6 / fanIn).squareRoot()),
                                                (.lecunUniform, (3 / fanIn).squareRoot())]
        for (initializer, limit) in uniform {
            let s = stats(try initializer.make(shape))
            XCTAssertLessThanOrEqual(Double(s.maxAbs), limit, "\(initializer.name) stays inside ±\(limit)")
            XCTAssertGreaterThan(Double(s.maxAbs), 0.99 * limit, "\(initializer.name) reaches its limit")
            XCTAssertEqual(s.std, limit / 3.0.squareRoot(), accuracy: 0.02 * limit / 3.0.squareRoot(), initializer.name)
            XCTAssertEqual(s.mean, 0, accuracy: 0.01 * limit, initializer.name)
        }
        // Truncated normals: the *resulting* std is sqrt(scale / fan); the draws stop at 2 × (that / 0.8796…).
        let normal: [(Initializer, Double)] = [(.glorotNormal, (1 / fanAvg).squareRoot()), (.heNormal, (2 / fanIn).squareRoot()),
                                               (.lecunNormal, (1 / fanIn).squareRoot())]
        for (initializer, std) in normal {
            let s = stats(try initializer.make(shape))
            let cut = 2 * std / truncation
            XCTAssertLessThanOrEqual(Double(s.maxAbs), cut * (1 + 1e-6), "\(initializer.name) is truncated at 2 stddev")
            XCTAssertGreaterThan(Double(s.maxAbs), 0.98 * cut, initializer.name)
            XCTAssertEqual(s.std, std, accuracy: 0.02 * std, initializer.name)
            XCTAssertEqual(s.mean, 0, accuracy: 0.02 * std, initializer.name)
        }
    }

    func testRandomInitializersUseKerasDefaultsAndArguments() throws {
        let shape = [300, 200]
        var s = stats(try Initializer.randomUniform().make(shape))
        XCTAssertLessThanOrEqual(s.maxAbs, 0.05)
        XCTAssertEqual(s.std, 0.1 / 12.0.squareRoot(), accuracy: 0.001)
        s = stats(try Initializer.randomNormal().make(shape))
        XCTAssertEqual(s.std, 0.05, accuracy: 0.001)
        XCTAssertEqual(s.mean, 0, accuracy: 0.001)
        XCTAssertGreaterThan(s.maxAbs, 0.15, "an untruncated normal has tails beyond 2 stddev")
        s = stats(try Initializer.truncatedNormal().make(shape))
        XCTAssertLessThanOrEqual(s.maxAbs, 0.1 + 1e-7)
        XCTAssertEqual(s.std, 0.05 * 0.87962566103423978, accuracy: 0.001)
        let shifted = try Initializer.randomUniform(minval: 1, maxval: 3).make(shape)
        XCTAssertTrue(shifted.scalars.allSatisfy { $0 >= 1 && $0 < 3 })
        XCTAssertEqual(stats(shifted).mean, 2, accuracy: 0.01)
        s = stats(try Initializer.randomNormal(mean: 5, stddev: 2).make(shape))
        XCTAssertEqual(s.mean, 5, accuracy: 0.02)
        XCTAssertEqual(s.std, 2, accuracy: 0.03)
        s = stats(try Initializer.truncatedNormal(mean: -1, stddev: 0.5).make(shape))
        XCTAssertEqual(s.mean, -1, accuracy: 0.01)
        XCTAssertEqual(try Initializer.zeros.make([3]).scalars, [0, 0, 0])
        XCTAssertEqual(try Initializer.ones.make([2]).scalars, [1, 1])
    }

    func testFansFollowKerasComputeFans() {
        XCTAssertTrue(Initializer.fans([]) == (1, 1))
        XCTAssertTrue(Initializer.fans([7]) == (7, 7))
        XCTAssertTrue(Initializer.fans([3, 8]) == (3, 8))
        XCTAssertTrue(Initializer.fans([2, 3, 4, 5]) == (24, 30), "receptive field 2·3 multiplies both")
    }

    func testSameSeedSameWeightsInEveryLayer() throws {
        func weights() throws -> [Tensor] {
            LSTMKit.setRandomSeed(77)
            let model = try Sequential([Input(shape: [4, 3]),
                                        LSTM(units: 4, kernelInitializer: .heNormal, recurrentInitializer: .lecunUniform,
                                             biasInitializer: .randomNormal(), returnSequences: true),
                                        GRU(units: 3, kernelInitializer: .glorotNormal, biasInitializer: .truncatedNormal(), returnSequences: true),
                                        SimpleRNN(units: 2, recurrentInitializer: .heUniform, biasInitializer: .randomUniform()),
                                        Dense(units: 2, kernelInitializer: .lecunNormal, biasInitializer: .ones)])
            return model.getWeights()
        }
        let a = try weights(), b = try weights()
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.last?.scalars, [1, 1], "Dense bias from .ones")
        LSTMKit.setRandomSeed(78)
        let other = try Sequential([Input(shape: [4, 3]), LSTM(units: 4, kernelInitializer: .heNormal)]).getWeights()
        XCTAssertNotEqual(other[0], a[0])
    }

    func testLSTMUnitForgetBiasWrapsTheBiasInitializer() throws {
        let lstm = LSTM(units: 3, biasInitializer: .randomUniform(minval: 2, maxval: 3))
        try lstm.build(inputShape: [5, 2])
        let b = lstm.getWeights()[2].scalars
        XCTAssertEqual(Array(b[3..<6]), [1, 1, 1], "the forget slice is ones, like Keras")
        XCTAssertTrue((Array(b[0..<3]) + Array(b[6...])).allSatisfy { $0 >= 2 && $0 < 3 })
        let plain = LSTM(units: 2, biasInitializer: .ones, unitForgetBias: false)
        try plain.build(inputShape: [5, 2])
        XCTAssertEqual(plain.getWeights()[2].scalars, Array(repeating: 1, count: 8))
        let gru = GRU(units: 2, biasInitializer: .ones)
        try gru.build(inputShape: [3, 1])
        XCTAssertEqual(gru.getWeights()[2].shape, [2, 6])
        XCTAssertTrue(gru.getWeights()[2].scalars.allSatisfy { $0 == 1 })
    }

    func testNamesAndErrors() throws {
        XCTAssertEqual(try Initializer(name: "he_normal"), .heNormal)
        XCTAssertEqual(try Initializer(name: "HeNormal"), .heNormal)
        XCTAssertEqual(try Initializer(name: "glorot_uniform"), .glorotUniform)
        XCTAssertEqual(try Initializer(name: "uniform"), .randomUniform(minval: -0.05, maxval: 0.05))
        XCTAssertEqual(try Initializer(name: "truncated_normal"), .truncatedNormal(mean: 0, stddev: 0.05))
        for i in Initializer.kerasNames { XCTAssertEqual(try Initializer(name: i).name, i) }
        XCTAssertEqual(Initializer.heNormal.className, "HeNormal")
        XCTAssertThrowsError(try Initializer(name: "xavier")) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message,
                           "unknown initializer 'xavier'; expected one of 'glorot_uniform', 'glorot_normal', 'he_uniform', 'he_normal', 'lecun_uniform', 'lecun_normal', 'orthogonal', 'zeros', 'ones', 'random_uniform', 'random_normal', 'truncated_normal', 'constant', 'variance_scaling', 'identity'")
        }
        let bad = Dense(units: 2, kernelInitializer: .randomUniform(minval: 1, maxval: 0), name: "head")
        XCTAssertThrowsError(try bad.build(inputShape: [3])) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message,
                           "Dense 'head' kernelInitializer: random_uniform expects finite minval < maxval, got minval 1.0, maxval 0.0")
        }
        XCTAssertFalse(bad.isBuilt)
        let negative = LSTM(units: 2, recurrentInitializer: .randomNormal(mean: 0, stddev: -1), name: "l")
        XCTAssertThrowsError(try negative.build(inputShape: [3, 1])) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message,
                           "LSTM 'l' recurrentInitializer: random_normal expects a finite mean and stddev >= 0, got mean 0.0, stddev -1.0")
        }
    }

    func testConfigUsesKerasNamesAndRoundTrips() throws {
        let layers: [Layer] = [
            LSTM(units: 3, kernelInitializer: .heUniform, recurrentInitializer: .glorotNormal, biasInitializer: .randomUniform(minval: -0.1, maxval: 0.2)),
            GRU(units: 2, kernelInitializer: .lecunNormal, recurrentInitializer: .randomNormal(mean: 0.5, stddev: 0.1)),
            SimpleRNN(units: 2, biasInitializer: .truncatedNormal(mean: 0, stddev: 0.3)),
            Dense(units: 4, kernelInitializer: .heNormal, biasInitializer: .ones),
        ]
        for l in layers {
            let json = try JSONEncoder().encode(l.config)
            let back = try LayerRegistry.makeLayer(try JSONDecoder().decode(LayerConfig.self, from: json))
            XCTAssertEqual(back.config, l.config, l.className)
        }
        let lstm = layers[0] as! LSTM
        XCTAssertEqual(lstm.config.values["kernel_initializer"], .string("he_uniform"))
        XCTAssertEqual(lstm.config.values["recurrent_initializer"], .string("glorot_normal"))
        XCTAssertEqual(lstm.config.values["bias_initializer"],
                       .layer(LayerConfig(className: "RandomUniform", values: ["minval": .double(Double(Float(-0.1))),
                                                                                "maxval": .double(Double(Float(0.2))), "seed": .null])))
        XCTAssertEqual(Dense(units: 1).config.values["kernel_initializer"], .string("glorot_uniform"))
        XCTAssertEqual(Dense(units: 1).config.values["bias_initializer"], .string("zeros"))

        // Keras's own serialised form (with module and registered_name) is read too.
        let keras = """
        {"class_name": "LSTM", "config": {"name": "enc", "units": 3,
          "kernel_initializer": {"module": "keras.initializers", "class_name": "HeNormal", "config": {"seed": null}, "registered_name": null},
          "recurrent_initializer": "orthogonal",
          "bias_initializer": {"module": "keras.initializers", "class_name": "RandomNormal", "config": {"seed": null, "mean": 1, "stddev": 0.25}, "registered_name": null}}}
        """
        let parsed = try XCTUnwrap(try LayerRegistry.makeLayer(try JSONDecoder().decode(LayerConfig.self, from: Data(keras.utf8))) as? LSTM)
        XCTAssertEqual(parsed.kernelInitializer, .heNormal)
        XCTAssertEqual(parsed.recurrentInitializer, .orthogonal)
        XCTAssertEqual(parsed.biasInitializer, .randomNormal(mean: 1, stddev: 0.25))
        var c = Dense(units: 1).config
        c.values["kernel_initializer"] = .string("he_normall")
        XCTAssertThrowsError(try LayerRegistry.makeLayer(c)) { e in
            XCTAssertTrue((e as? LSTMKitError)?.message.hasPrefix("unknown initializer 'he_normall'; expected one of 'glorot_uniform'") == true, "\(e)")
        }
        c.values["kernel_initializer"] = .layer(LayerConfig(className: "Orthogonal", values: ["gain": .double(2), "seed": .null]))
        XCTAssertThrowsError(try LayerRegistry.makeLayer(c)) { e in
            XCTAssertEqual((e as? LSTMKitError)?.message, "initializer Orthogonal in 'kernel_initializer': only gain 1.0 is supported, got 2.0")
        }
        c.values["kernel_initializer"] = .layer(LayerConfig(className: "Orthogonal", values: ["gain": .double(1), "seed": .null]))
        XCTAssertEqual((try LayerRegistry.makeLayer(c) as? Dense)?.kernelInitializer, .orthogonal)
        c.values["kernel_initializer"] = .int(3)
        XCTAssertThrowsError(try LayerRegistry.makeLayer(c)) { e in
            XCTAssertTrue((e as? LSTMKitError)?.message.hasPrefix("expected 'kernel_initializer' to be an initializer name") == true, "\(e)")
        }
    }
}
