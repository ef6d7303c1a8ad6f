"""04-sequence-encoder.ipynb: variable-length sequences to fixed-size vectors with a shared-weight autoencoder."""

from . import code, explain, parameters, title

CELLS = [
    title(
        "Encoding sequences of any length into a fixed-size vector",
        "把任意长度的序列编码成固定大小的向量",
        """
        Sequences rarely have the same length, yet many models want one fixed-size vector per item. An LSTM
        autoencoder gives one: pad the sequences to a common length, train an encoder–decoder to reproduce
        them, and keep the encoder. We use a 2-number encoding so the result can be drawn: sequences of the
        same kind should land near each other.
        """,
        """
        序列的长度往往各不相同，而很多模型希望每个样本是一个固定大小的向量。LSTM 自编码器可以提供这样的向量：
        先把序列补齐到同一长度，训练一个编码器–解码器把它们还原出来，然后保留编码器。我们使用 2 维编码，
        这样结果可以直接画出来：同一类的序列应当落在彼此附近。
        """,
    ),
    parameters(
        """
        // Parameters: papermill can override them, e.g. `papermill -p epochs 100 …`.
        let epochs = 250
        let latentSize = 2
        """
    ),
    code(
        """
        LSTMKit.setRandomSeed(4)
        LSTMKit.clearSession()
        """
    ),
    explain(
        """
        Three kinds of sequences, each 4 to 8 steps long: rising ramps, falling ramps and a hump. Values stay
        within 0.1…0.9 so that 0 can mean "no data here".
        """,
        """
        三类序列，长度在 4 到 8 步之间：上升的斜坡、下降的斜坡和一个凸起。数值都在 0.1…0.9 之间，
        这样 0 就可以表示“这里没有数据”。
        """,
        "Sequences of different lengths",
        "长度不同的序列",
    ),
    code(
        """
        import Foundation

        func ramp(_ n: Int, up: Bool) -> [Float] {
            (0..<n).map { i in
                let t = Float(i) / Float(n - 1)
                return 0.1 + 0.8 * (up ? t : 1 - t)
            }
        }
        func hump(_ n: Int) -> [Float] {
            (0..<n).map { i in 0.1 + 0.8 * Float(sin(Double.pi * Double(i) / Double(n - 1))) }
        }

        var sequences: [[Float]] = []
        var labels: [String] = []
        for length in 4...8 {
            sequences += [ramp(length, up: true), ramp(length, up: false), hump(length)]
            labels += ["up\\(length)", "down\\(length)", "hump\\(length)"]
        }
        print(sequences.count, "sequences, lengths", sequences.map(\\.count))
        """
    ),
    explain(
        """
        `padSequences` brings every sequence to the longest length. We pad at the end (`.post`) with 0, and
        keep Float values (Keras's default integer type would turn 0.35 into 0). A `Masking` layer then tells
        the encoder LSTM to skip the padded steps, so the padding does not shape the encoding.
        """,
        """
        `padSequences` 把每条序列补齐到最长的长度。我们在末尾补 0（`.post`），并保留浮点数
        （Keras 默认的整数类型会把 0.35 变成 0）。随后 `Masking` 层让编码器中的 LSTM 跳过补齐的时间步，
        补齐的部分就不会影响编码。
        """,
        "Padding to one length",
        "补齐到同一长度",
    ),
    code(
        """
        let padded = try padSequences(sequences, padding: .post, value: 0)
        let steps = padded.shape[1]
        let data = try padded.reshaped([sequences.count, steps, 1])
        print("padded:", data.shape)
        try padded[0..<3].rounded(places: 2)
        """
    ),
    explain(
        """
        Three models from one graph. The encoder maps a padded sequence to `latentSize` numbers; the decoder
        repeats that vector once per step and unrolls it with an LSTM; the autoencoder chains the two. The
        decoder model calls the **same layer objects** on its own input, so all three share one set of
        weights: training the autoencoder trains the encoder and the decoder.
        """,
        """
        同一张计算图得到三个模型。编码器把补齐后的序列映射成 `latentSize` 个数；解码器把这个向量按时间步复制，
        再用 LSTM 展开；自编码器把两者串起来。解码器模型在自己的输入上调用的是**同一批层对象**，
        因此三个模型共享一套权重：训练自编码器，也就训练了编码器和解码器。
        """,
        "Encoder, decoder and autoencoder sharing weights",
        "共享权重的编码器、解码器和自编码器",
    ),
    code(
        """
        let sequenceInput = Input(shape: [steps, 1])
        let masked = try Masking(maskValue: 0)(sequenceInput)
        let encoding = try LSTM(units: latentSize, activation: .tanh)(masked)

        let repeatEncoding = RepeatVector(steps)
        let decoderLSTM = LSTM(units: 16, returnSequences: true)
        let toValue = TimeDistributed(Dense(units: 1))
        func decode(_ code: SymbolicTensorConvertible) throws -> SymbolicTensor {
            try toValue(decoderLSTM(repeatEncoding(code)))
        }

        let encoder = try Model(inputs: sequenceInput, outputs: encoding, name: "encoder")
        let autoencoder = try Model(inputs: sequenceInput, outputs: decode(encoding), name: "autoencoder")
        let codeInput = Input(shape: [latentSize])
        let decoder = try Model(inputs: codeInput, outputs: decode(codeInput), name: "decoder")
        display(autoencoder.summaryTable())
        print("encoder", encoder.countParams(), "+ decoder", decoder.countParams(),
              "= autoencoder", autoencoder.countParams())
        """
    ),
    code(
        """
        try plotModel(autoencoder, showShapes: true)
        """
    ),
    explain(
        """
        Train the autoencoder to reproduce its input. `validationSplit: 0.2` holds back the last 20% of the
        samples, here the three sequences of length 8: a length the model never trains on. Both curves
        falling together means the encoding carries over to sequences it has not seen.
        """,
        """
        训练自编码器还原输入。`validationSplit: 0.2` 留出最后 20% 的样本作验证集，这里正好是三条长度为 8
        的序列：模型在训练中从未见过这个长度。两条曲线一起下降，说明编码也适用于没见过的序列。
        """,
        "Training, with a validation split",
        "训练，并划出验证集",
    ),
    code(
        """
        autoencoder.compile(optimizer: Adam(learningRate: 0.01), loss: .mse)
        let history = try autoencoder.fit(data, data, epochs: epochs, batchSize: 4, verbose: 0,
                                          validationSplit: 0.2)
        print("loss:", history["loss"]!.last!, " val_loss:", history["val_loss"]!.last!)
        history.plot(title: "Autoencoder training: loss and val_loss")
        """
    ),
    explain(
        """
        The trained encoder turns every sequence, whatever its length, into two numbers. Plotted with their
        labels, ramps up, ramps down and humps should form separate groups: the vector has captured the shape
        of each sequence, and the length only moves a point within its group.
        """,
        """
        训练好的编码器把每条序列（不论长短）变成两个数。把它们连同标签画出来，上升、下降和凸起三类序列
        应该各自成群：向量捕捉到了序列的形状，长度只是让点在各自的群里移动。
        """,
        "The encodings, drawn",
        "把编码画出来",
    ),
    code(
        """
        let encodings = try encoder.predict(data, verbose: 0)
        print("encodings:", encodings.shape)
        var scatter = Plot(title: "2-D encodings of \\(sequences.count) sequences", xLabel: "code[0]", yLabel: "code[1]")
        for kind in ["up", "down", "hump"] {
            let rows = labels.indices.filter { labels[$0].hasPrefix(kind) }
            try scatter.addScatter(x: rows.map { encodings.scalars[$0 * latentSize] },
                                   y: rows.map { encodings.scalars[$0 * latentSize + 1] },
                                   labels: rows.map { labels[$0] }, name: kind)
        }
        scatter
        """
    ),
    explain(
        """
        The decoder alone turns an encoding back into a sequence. Because it shares the autoencoder's layers,
        decoding the encoder's output gives exactly the autoencoder's reconstruction.
        """,
        """
        单独使用解码器，可以把编码还原成序列。由于它与自编码器共享层，对编码器的输出解码，
        得到的正是自编码器的还原结果。
        """,
        "Decoding a vector back into a sequence",
        "把向量解码回序列",
    ),
    code(
        """
        let viaParts = try decoder.predict(encodings, verbose: 0)
        let whole = try autoencoder.predict(data, verbose: 0)
        print("decoder(encoder(x)) == autoencoder(x):", viaParts.isAlmostEqual(to: whole, rtol: 1e-5, atol: 1e-6))
        print("hump of length 8, actual:       ", try data[sequences.count - 1].reshaped([steps]).rounded(places: 2))
        print("hump of length 8, reconstructed:", try whole[sequences.count - 1].reshaped([steps]).rounded(places: 2))
        """
    ),
]
