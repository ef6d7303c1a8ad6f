"""03-return-sequences-and-state.ipynb: what an LSTM layer returns, and how to use it."""

from . import code, explain, parameters, title

CELLS = [
    title(
        "return_sequences, return_state, and what to do with them",
        "return_sequences、return_state 以及它们的用法",
        """
        An LSTM layer keeps two things as it walks along a sequence: the hidden state **h** (also its output)
        and the cell state **c** (its memory). Two flags decide what leaves the layer: `returnSequences` (h at
        every step, or only the last) and `returnState` (also hand out the final h and c). We look at each
        combination on a 3-step input, then use them: stacking LSTMs, passing an encoder's state to a decoder,
        shaping input, reading training curves, and finalising a model.
        """,
        """
        LSTM 层沿着序列前进时维护两样东西：隐藏状态 **h**（也就是它的输出）和细胞状态 **c**（它的记忆）。
        两个开关决定哪些东西离开这一层：`returnSequences`（输出每一步的 h，还是只输出最后一步）和
        `returnState`（是否另外交出最后的 h 和 c）。我们先在一个三步长的输入上逐一查看各种组合，
        再把它们用起来：堆叠 LSTM、把编码器的状态交给解码器、整理输入形状、解读训练曲线，以及定型模型。
        """,
    ),
    parameters(
        """
        // Parameters: papermill can override them, e.g. `papermill -p epochs 200 -p runs 2 …`.
        let epochs = 300
        let runs = 3
        """
    ),
    code(
        """
        LSTMKit.setRandomSeed(3)
        LSTMKit.clearSession()
        // One sample, three time steps, one feature: shape (1, 3, 1).
        let input = try Tensor(shape: [1, 3, 1], scalars: [0.1, 0.2, 0.3])
        let sample = Input(shape: [3, 1])
        """
    ),
    explain(
        """
        By default an LSTM returns only the hidden state of the last step: one number per unit, (1, 1) here.
        """,
        """
        默认情况下，LSTM 只返回最后一步的隐藏状态：每个单元一个数，这里是 (1, 1)。
        """,
        "The default: the last output",
        "默认：只有最后一步的输出",
    ),
    code(
        """
        let lastOnly = try Model(inputs: sample, outputs: LSTM(units: 1)(sample))
        let last = try lastOnly.predict(input, verbose: 0)
        print("output", last.shape, last)
        """
    ),
    explain(
        """
        `returnSequences: true` returns the hidden state of **every** step: (1, 3, 1). This is what a next
        LSTM layer, or a `TimeDistributed` layer, needs as input.
        """,
        """
        `returnSequences: true` 返回**每一步**的隐藏状态：(1, 3, 1)。下一层 LSTM 或 `TimeDistributed` 层
        需要的正是这种输入。
        """,
        "return_sequences: every step",
        "return_sequences：每一步都输出",
    ),
    code(
        """
        let everyStep = try Model(inputs: sample, outputs: LSTM(units: 1, returnSequences: true)(sample))
        let steps = try everyStep.predict(input, verbose: 0)
        print("output", steps.shape)
        steps
        """
    ),
    explain(
        """
        `returnState: true` makes the layer return three tensors: the output, the final hidden state h and
        the final cell state c. Without `returnSequences`, the output **is** the last h, so the first two are
        equal; c is different, it is the memory that never leaves the layer otherwise.
        """,
        """
        `returnState: true` 让这一层返回三个张量：输出、最后的隐藏状态 h 和最后的细胞状态 c。
        不设置 `returnSequences` 时，输出**就是**最后的 h，所以前两个相等；c 则不同，它是记忆，
        平时不会离开这一层。
        """,
        "return_state: output, h and c",
        "return_state：输出、h 和 c",
    ),
    code(
        """
        let stateLSTM = LSTM(units: 1, returnState: true)
        let withState = try Model(inputs: sample, outputs: stateLSTM.callAll([sample]))
        let outputHC = try withState.callAll([input])
        print("output:", outputHC[0], " h:", outputHC[1], " c:", outputHC[2])
        print("output == h:", outputHC[0] == outputHC[1])
        """
    ),
    explain(
        """
        Both flags together: the whole sequence of h, plus the final h and c. The last step of the sequence
        equals the returned h.
        """,
        """
        两个开关同时打开：得到完整的 h 序列，外加最后的 h 和 c。序列的最后一步等于返回的 h。
        """,
        "Both at once",
        "两者同时使用",
    ),
    code(
        """
        let bothLSTM = LSTM(units: 1, returnSequences: true, returnState: true)
        let both = try Model(inputs: sample, outputs: bothLSTM.callAll([sample]))
        let seqHC = try both.callAll([input])
        print("sequence", seqHC[0].shape, " h", seqHC[1].shape, " c", seqHC[2].shape)
        print("last step of the sequence == h:", try seqHC[0][0, 2] == seqHC[1][0])
        """
    ),
    explain(
        """
        To stack LSTMs, every layer but the last must return sequences, because an LSTM reads 3-D input.
        Forget the flag and the second layer receives (batch, units) instead of (batch, steps, units);
        LSTMKit refuses with a message naming both shapes.
        """,
        """
        堆叠 LSTM 时，除最后一层外每一层都必须返回序列，因为 LSTM 的输入是三维的。
        忘了这个开关，第二层收到的就是 (批大小, 单元数) 而不是 (批大小, 时间步, 单元数)；
        LSTMKit 会拒绝，并在错误信息中给出两个形状。
        """,
        "Stacked LSTMs",
        "堆叠 LSTM",
    ),
    code(
        """
        let stacked = try Sequential([
            LSTM(units: 8, returnSequences: true, inputShape: [3, 1]),
            LSTM(units: 4),
            Dense(units: 1),
        ])
        display(stacked.summaryTable())
        do {
            _ = try Sequential([LSTM(units: 8, inputShape: [3, 1]), LSTM(units: 4)])
        } catch {
            print("without returnSequences:", error)
        }
        """
    ),
    explain(
        """
        `returnState` is what encoder–decoder models are made of: the encoder's final h and c become the
        decoder's **initial state**, so the decoder starts from everything the encoder read. Here the
        encoder reads 3 steps of one feature and the decoder produces 2 steps of its own input.
        """,
        """
        编码器–解码器模型正是靠 `returnState` 搭起来的：编码器最后的 h 和 c 成为解码器的**初始状态**，
        于是解码器从编码器读到的全部信息出发。这里编码器读取 3 步、每步 1 个特征，
        解码器则根据自己的 2 步输入生成输出。
        """,
        "Encoder–decoder: final states as initial state",
        "编码器–解码器：用最终状态作为初始状态",
    ),
    code(
        """
        let encoderInput = Input(shape: [3, 1])
        let encoderStates = try LSTM(units: 4, returnState: true).callAll([encoderInput])   // [output, h, c]
        let decoderInput = Input(shape: [2, 1])
        let decoderSequence = try LSTM(units: 4, returnSequences: true)(
            decoderInput, initialState: [encoderStates[1], encoderStates[2]])
        let prediction = try TimeDistributed(Dense(units: 1))(decoderSequence)
        let encoderDecoder = try Model(inputs: [encoderInput, decoderInput], outputs: [prediction])
        display(encoderDecoder.summaryTable())
        let decoded = try encoderDecoder.callAll([input, Tensor(shape: [1, 2, 1], scalars: [0.3, 0.4])])
        print("decoder output:", decoded[0].shape)
        """
    ),
    explain(
        """
        Input is always (samples, timesteps, features). One series of 10 values, read as a single sequence,
        becomes (1, 10, 1). Two series measured side by side (parallel series) are two features of the same
        steps: (1, 10, 2). Reshaping does not change the numbers, only how the LSTM walks through them.
        """,
        """
        输入总是 (样本数, 时间步, 特征数)。一条含 10 个值的序列作为一个样本读入，形状就是 (1, 10, 1)。
        两条并排测量的序列（并行序列）是同一时间步上的两个特征：(1, 10, 2)。reshape 不改变数值，
        只改变 LSTM 遍历它们的方式。
        """,
        "Input shapes: samples, timesteps, features",
        "输入形状：样本、时间步、特征",
    ),
    code(
        """
        let first: [Float] = (1...10).map { Float($0) / 10 }
        let second: [Float] = first.map { $0 * $0 }
        let oneSeries = try Tensor(first).reshaped([1, 10, 1])
        let twoSeries = try Tensor(zip(first, second).map { [$0, $1] }).reshaped([1, 10, 2])
        print("one series:", oneSeries.shape, " two parallel series:", twoSeries.shape)
        let readsTwo = try Sequential([LSTM(units: 3, inputShape: [10, 2])])
        print("an LSTM over two features gives", try readsTwo.predict(twoSeries, verbose: 0).shape)
        """
    ),
    explain(
        """
        Training curves tell under- from over-fitting. The task: given a value, predict the next one in
        steps of 0.1; train on 0.0…0.4 and validate on 0.5…0.9. We train the same small model several times
        from different seeds and overlay the curves: a single run can mislead, the spread of several shows
        what is typical. Train and validation loss still dropping at the end means under-fit (more epochs
        would help); validation loss turning upwards while training loss keeps falling means over-fit.
        Here every run reaches its lowest validation loss well before the last epoch and climbs afterwards
        while the training loss keeps falling: these runs over-fit, and about a third of the epochs would
        do (try `papermill -p epochs 100`).
        """,
        """
        训练曲线可以区分欠拟合和过拟合。任务是：给定一个值，预测按 0.1 递增的下一个值；用 0.0…0.4 训练，
        用 0.5…0.9 验证。我们用不同的随机种子把同一个小模型训练好几次，并把曲线叠在一起：
        只跑一次可能会误导，多次的分布才说明什么是常态。训练损失和验证损失到最后仍在下降，说明欠拟合
        （多训练几轮会更好）；训练损失继续下降而验证损失开始回升，则说明过拟合。
        这里每次运行的验证损失都在最后一轮之前很早就降到最低，之后回升，而训练损失仍在下降：
        这些运行过拟合了，大约三分之一的轮数就够了（可以试试 `papermill -p epochs 100`）。
        """,
        "Diagnosing under- and over-fitting",
        "诊断欠拟合与过拟合",
    ),
    code(
        """
        func pairs(_ start: Int) throws -> (x: Tensor, y: Tensor) {
            let x = (start..<start + 5).map { Float($0) / 10 }
            return (try Tensor(shape: [5, 1, 1], scalars: x), try Tensor(shape: [5, 1], scalars: x.map { $0 + 0.1 }))
        }
        let train = try pairs(0)
        let validation = try pairs(5)

        func makeNextValueModel() throws -> Sequential {
            let model = try Sequential([LSTM(units: 10, inputShape: [1, 1]), Dense(units: 1)])
            model.compile(optimizer: Adam(learningRate: 0.01), loss: .mse)
            return model
        }

        var histories: [(label: String, history: History)] = []
        for run in 1...runs {
            LSTMKit.setRandomSeed(100 + run)
            let model = try makeNextValueModel()
            let h = try model.fit(train.x, train.y, epochs: epochs, batchSize: 5, verbose: 0,
                                  validationData: (validation.x, validation.y))
            histories.append((label: "run \\(run)", history: h))
        }
        let finalValidationLosses = histories.map { $0.history["val_loss"]!.last! }
        let bestEpochs = histories.map { run -> Int in
            let valLoss = run.history["val_loss"]!
            return valLoss.indices.min { valLoss[$0] < valLoss[$1] }! + 1
        }
        print("final val_loss per run:", finalValidationLosses)
        print("epoch of the lowest val_loss per run:", bestEpochs)
        plotHistories(histories, title: "\\(runs) runs: loss (solid) and val_loss (dashed)", logScale: true)
        """
    ),
    explain(
        """
        Finalising: once the design is chosen, train one model on **all** the data (train and validation
        together), save it, and later load it to predict on new inputs. The loaded model predicts exactly
        what the saved one did: architecture as JSON, weights as safetensors.
        """,
        """
        定型：设计确定之后，用**全部**数据（训练集和验证集合在一起）训练一个模型，把它保存下来，
        之后再加载它来预测新的输入。加载后的模型与保存前的预测完全相同：结构保存为 JSON，
        权重保存为 safetensors。
        """,
        "Finalising a model: train on everything, save, load, predict",
        "定型模型：用全部数据训练、保存、加载、预测",
    ),
    code(
        """
        import Foundation   // FileManager, for a temporary folder

        LSTMKit.setRandomSeed(3)
        let allX = try Tensor.concatenated([train.x, validation.x])
        let allY = try Tensor.concatenated([train.y, validation.y])
        let finalModel = try makeNextValueModel()
        let finalHistory = try finalModel.fit(allX, allY, epochs: epochs, batchSize: 10, verbose: 0)
        print("final model loss:", finalHistory["loss"]!.last!)

        let savedAt = FileManager.default.temporaryDirectory.appendingPathComponent("next-value-model-\\(UUID().uuidString)")
        try finalModel.save(to: savedAt)
        print("saved:", try FileManager.default.contentsOfDirectory(atPath: savedAt.path).sorted())
        let loaded = try Model.load(from: savedAt)
        let newInputs = try Tensor(shape: [2, 1, 1], scalars: [0.25, 0.65])
        let before = try finalModel.predict(newInputs, verbose: 0)
        let after = try loaded.predict(newInputs, verbose: 0)
        print("predictions for 0.25 and 0.65:", before.rounded(places: 3))
        print("loaded model predicts the same:", before == after)
        """
    ),
]
