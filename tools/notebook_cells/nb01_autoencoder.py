"""01-lstm-autoencoder.ipynb: the step-by-step LSTM autoencoder on a 9x2 toy series."""

from . import code, explain, parameters, title

CELLS = [
    title(
        "An LSTM autoencoder, step by step",
        "一步一步搭建 LSTM 自编码器",
        """
        An autoencoder learns to reproduce its input after squeezing it through a narrow middle. For
        sequences, an LSTM **encoder** reads the whole sequence and keeps one fixed-length vector, and an LSTM
        **decoder** unrolls that vector back into a sequence. Once the reconstruction is good, the encoder on
        its own turns a sequence into a feature vector. We build one on a tiny series, watch the data change
        shape at every layer, and finally cut the encoder out.
        """,
        """
        自编码器先把输入压缩到一个狭窄的中间层，再学着把输入还原出来。对序列而言，LSTM **编码器**
        读完整个序列后只保留一个固定长度的向量，LSTM **解码器**再把这个向量展开成序列。
        还原得足够好以后，单独使用编码器就能把序列变成特征向量。本笔记本在一个很小的序列上搭建这样的模型，
        观察数据在每一层的形状变化，最后把编码器单独取出来。
        """,
    ),
    parameters(
        """
        // Parameters: papermill can override them, e.g. `papermill -p epochs 50 …`.
        let epochs = 300
        """
    ),
    code(
        """
        LSTMKit.setRandomSeed(1)   // same initial weights and shuffles, so every number below repeats
        LSTMKit.clearSession()     // layer names start again at lstm, lstm_1, …
        """
    ),
    explain(
        """
        Nine time steps with two features each: x = 0.1, 0.2, …, 0.9 and x³. Row t is the observation at
        time t.
        """,
        """
        九个时间步，每步两个特征：x = 0.1, 0.2, …, 0.9 以及 x³。第 t 行就是时刻 t 的观测值。
        """,
        "The data",
        "数据",
    ),
    code(
        """
        let xs: [Float] = (1...9).map { Float($0) / 10 }
        let series = try Tensor(xs.map { [$0, $0 * $0 * $0] })
        print("series:", series.shape)
        series
        """
    ),
    explain(
        """
        An LSTM reads 3-D input: (samples, timesteps, features). `temporalize` slides a window of
        `lookback = 3` steps along the series. With the original tutorial's indexing, the nine rows give
        five windows of 3 steps × 2 features, so the input is (5, 3, 2).
        """,
        """
        LSTM 的输入是三维的：(样本数, 时间步, 特征数)。`temporalize` 用长度 `lookback = 3` 的窗口沿序列滑动。
        按照原教程的下标方式，九行数据得到五个“3 个时间步 × 2 个特征”的窗口，因此输入形状是 (5, 3, 2)。
        """,
        "Windows of three steps",
        "三个时间步的窗口",
    ),
    code(
        """
        let timesteps = 3
        let features = 2
        let windows = try temporalize(series, lookback: timesteps)
        print("windows:", windows.shape)
        windows
        """
    ),
    explain(
        """
        The encoder is two LSTMs (128 then 64 units, ReLU). The second has `returnSequences: false`, so it
        hands on only its last hidden state: the **64-number encoding**. `RepeatVector(3)` copies that vector
        once per time step, giving the decoder a sequence to read. The decoder mirrors the encoder (64 then
        128 units, both returning every step), and `TimeDistributed(Dense(2))` maps each step back to the two
        features.
        """,
        """
        编码器由两个 LSTM 组成（先 128 个单元，再 64 个单元，ReLU 激活）。第二个 LSTM 设置
        `returnSequences: false`，只把最后一步的隐藏状态传下去：这就是**64 维的编码**。
        `RepeatVector(3)` 把这个向量复制三份，每个时间步一份，解码器才有序列可读。解码器与编码器对称
        （先 64 再 128 个单元，都返回每一步的输出），最后 `TimeDistributed(Dense(2))` 把每一步映射回两个特征。
        """,
        "The autoencoder",
        "自编码器",
    ),
    code(
        """
        let autoencoder = try Sequential([
            LSTM(units: 128, activation: .relu, returnSequences: true, inputShape: [timesteps, features]),
            LSTM(units: 64, activation: .relu, returnSequences: false),
            RepeatVector(timesteps),
            LSTM(units: 64, activation: .relu, returnSequences: true),
            LSTM(units: 128, activation: .relu, returnSequences: true),
            TimeDistributed(Dense(units: features)),
        ])
        autoencoder.compile(optimizer: Adam(), loss: .mse)
        autoencoder.summaryTable()
        """
    ),
    explain(
        """
        Where 248,578 comes from: an LSTM with u units on d input features holds 4·u·(d + u + 1) numbers
        (four gates, each with input weights, recurrent weights and a bias). So 4·128·(2+128+1) = 67,072,
        4·64·(128+64+1) = 49,408, 4·64·(64+64+1) = 33,024 and 4·128·(64+128+1) = 98,816; the Dense layer has
        128·2 + 2 = 258, and `RepeatVector` has none.
        """,
        """
        248,578 是这样算出来的：u 个单元、d 个输入特征的 LSTM 有 4·u·(d + u + 1) 个参数
        （四个门，每个门都有输入权重、循环权重和偏置）。于是 4·128·(2+128+1) = 67,072，
        4·64·(128+64+1) = 49,408，4·64·(64+64+1) = 33,024，4·128·(64+128+1) = 98,816；
        Dense 层有 128·2 + 2 = 258 个参数，`RepeatVector` 没有参数。
        """,
    ),
    explain(
        """
        The input is also the target: the model is rewarded only for reproducing what it was shown.
        All five windows fit in one batch.
        """,
        """
        输入同时也是目标：模型只有把看到的内容还原出来才能降低损失。五个窗口正好放进一个批次。
        """,
        "Training to reproduce the input",
        "训练：还原输入",
    ),
    code(
        """
        let history = try autoencoder.fit(windows, windows, epochs: epochs, batchSize: 5, verbose: 0)
        print("loss after \\(epochs) epochs:", history["loss"]!.last!)
        history
        """
    ),
    code(
        """
        let reconstruction = try autoencoder.predict(windows, verbose: 0)
        print("first window, actual:\\n\\(try windows[0].rounded(places: 3))")
        print("first window, reconstructed:\\n\\(try reconstruction[0].rounded(places: 3))")

        try predictionPlot(actual: windows, predicted: reconstruction, featureNames: ["x", "x³"],
                           title: "Reconstruction after \\(epochs) epochs", xLabel: "window × step")
        """
    ),
    explain(
        """
        Follow one window through the trained model. The shapes are the whole story: 3×2 in, 3×128 after the
        first LSTM, a single 64-vector after the second (the encoding: the time axis is gone), 3×64 again after
        `RepeatVector`, then 3×64, 3×128 and finally 3×2, the same shape as the input.
        """,
        """
        让一个窗口走一遍训练好的模型。形状说明了一切：输入 3×2，第一个 LSTM 之后是 3×128，
        第二个之后只剩一个 64 维向量（这就是编码：时间轴消失了），`RepeatVector` 之后又是 3×64，
        接着是 3×64、3×128，最后是 3×2，与输入形状相同。
        """,
        "How the data flows",
        "数据如何流动",
    ),
    code(
        """
        try traceShapes(autoencoder, windows[0])
        """
    ),
    explain(
        """
        `returnSequences` decides which steps of an unrolled LSTM hand an output to the next layer: every
        step (true, a sequence), or only the last one (false, a vector). The two pictures below are drawn
        from the autoencoder's own first two layers.
        """,
        """
        `returnSequences` 决定展开后的 LSTM 在哪些时间步把输出交给下一层：每一步都输出
        （true，得到一个序列），还是只在最后一步输出（false，得到一个向量）。下面两幅图就是根据
        自编码器前两层画出来的。
        """,
        "return_sequences: true or false",
        "return_sequences：true 还是 false",
    ),
    code(
        """
        // Drawn from each layer's own settings (any recurrent layer; others throw).
        display(try autoencoder.layers[0].unrolledDiagram())
        try autoencoder.layers[1].unrolledDiagram()
        """
    ),
    explain(
        """
        For comparison, a "regular" LSTM network: the same four LSTMs, but the second one keeps returning
        sequences and there is no `RepeatVector`. It has exactly the same 248,578 parameters (the repeat layer
        has none, and the LSTM sizes are unchanged) but no layer where the whole sequence is held in one
        vector, so there is no encoding to extract.
        """,
        """
        作为对比，看一个“普通”的 LSTM 网络：同样的四个 LSTM，但第二个也返回序列，并且没有 `RepeatVector`。
        它的参数同样是 248,578 个（重复层没有参数，各 LSTM 的大小也没变），但没有任何一层把整个序列
        装进一个向量，所以也就没有可以取出的编码。
        """,
        "A regular LSTM network of the same size",
        "同样大小的普通 LSTM 网络",
    ),
    code(
        """
        let regular = try Sequential([
            LSTM(units: 128, activation: .relu, returnSequences: true, inputShape: [timesteps, features]),
            LSTM(units: 64, activation: .relu, returnSequences: true),
            LSTM(units: 64, activation: .relu, returnSequences: true),
            LSTM(units: 128, activation: .relu, returnSequences: true),
            TimeDistributed(Dense(units: features)),
        ])
        regular.summaryTable()
        """
    ),
    explain(
        """
        Keep only the encoder, the Keras way: a `Model` from the autoencoder's input to the output of its
        second LSTM (`layers[1].output`). It is made of the same layer objects, not copies, so it shares
        their trained weights and maps each window to its 64-number encoding. These vectors are the
        learned features of the sequences, usable by any other model.
        """,
        """
        只保留编码器，用 Keras 的做法：建一个 `Model`，输入是自编码器的输入，输出是第二个 LSTM 的输出
        （`layers[1].output`）。它用的是同一批层对象，不是副本，所以共享训练好的权重，把每个窗口映射成
        64 维的编码。这些向量就是学到的序列特征，可以交给其他模型使用。
        """,
        "Extracting the encoder",
        "取出编码器",
    ),
    code(
        """
        let encoder = try Model(inputs: autoencoder.inputs, outputs: autoencoder.layers[1].output)
        let encodings = try encoder.predict(windows, verbose: 0)
        print("encodings:", encodings.shape)
        print("first encoding:", try encodings[0].rounded(places: 3))
        // After its Input, the encoder's layers are the autoencoder's first two, the very same objects.
        let shared = zip(encoder.layers.dropFirst(), autoencoder.layers).allSatisfy { $0 === $1 }
        print("shares the autoencoder's trained weights:", shared)
        """
    ),
]
