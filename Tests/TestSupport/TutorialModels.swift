import LSTMKit

/// The models of the tutorials, built the same way the notebooks build them. Each builder starts a
/// fresh session seeded with 7, so layer names ("lstm", "lstm_1", …) and initial weights are those of a
/// notebook run from the top, whichever test calls it.
public enum TutorialModels {
    /// The LSTM autoencoder: 3x2 → LSTM 128 relu seq → LSTM 64 relu → RepeatVector 3 → LSTM 64 relu seq
    /// → LSTM 128 relu seq → TimeDistributed(Dense 2); 248,578 parameters.
    public static func autoencoder() throws -> Sequential {
        LSTMKit.clearSession()
        LSTMKit.setRandomSeed(7)
        return try Sequential([
            LSTM(units: 128, activation: .relu, returnSequences: true, inputShape: [3, 2]),
            LSTM(units: 64, activation: .relu),
            RepeatVector(3),
            LSTM(units: 64, activation: .relu, returnSequences: true),
            LSTM(units: 128, activation: .relu, returnSequences: true),
            TimeDistributed(Dense(units: 2)),
        ])
    }

    /// The TimeDistributed tutorial's one-to-one model: 1 step of 1 feature → LSTM 5 → Dense 1; 146 parameters.
    public static func oneToOne() throws -> Sequential {
        LSTMKit.clearSession()
        LSTMKit.setRandomSeed(7)
        return try Sequential([LSTM(units: 5, inputShape: [1, 1]), Dense(units: 1)])
    }

    /// The TimeDistributed tutorial's many-to-one model: 5 steps of 1 feature → LSTM 5 → Dense 5; 170 parameters.
    public static func manyToOne() throws -> Sequential {
        LSTMKit.clearSession()
        LSTMKit.setRandomSeed(7)
        return try Sequential([LSTM(units: 5, inputShape: [5, 1]), Dense(units: 5)])
    }

    /// The TimeDistributed tutorial's many-to-many model: 5 steps of 1 feature → LSTM 5 seq →
    /// TimeDistributed(Dense 1); 146 parameters.
    public static func manyToMany() throws -> Sequential {
        LSTMKit.clearSession()
        LSTMKit.setRandomSeed(7)
        return try Sequential([LSTM(units: 5, returnSequences: true, inputShape: [5, 1]), TimeDistributed(Dense(units: 1))])
    }

    /// An encoder-decoder: the encoder LSTM's final states start the decoder LSTM (functional API).
    public static func encoderDecoder() throws -> Model {
        LSTMKit.clearSession()
        LSTMKit.setRandomSeed(7)
        let encoderInputs = Input(shape: [nil, 1], name: "encoder_inputs")
        let encoderLSTM = LSTM(units: 16, returnState: true)
        let encoded = try encoderLSTM.callAll([encoderInputs])
        let decoderInputs = Input(shape: [nil, 1], name: "decoder_inputs")
        let decoded = try LSTM(units: 16, returnSequences: true)(decoderInputs, initialState: [encoded[1], encoded[2]])
        let outputs = try Dense(units: 1)(decoded)
        return try Model(inputs: [encoderInputs, decoderInputs], outputs: [outputs], name: "encoder_decoder")
    }

    /// The autoencoder tutorial's 5 samples of 3 steps of (x, x³), x = 0.1 … 0.7.
    public static func temporalizedSeries() throws -> Tensor {
        var samples: [[[Float]]] = []
        for s in 0..<5 {
            var steps: [[Float]] = []
            for t in 0..<3 {
                let x = Float(s + t + 1) / 10
                steps.append([x, x * x * x])
            }
            samples.append(steps)
        }
        return try Tensor(samples)
    }
}
