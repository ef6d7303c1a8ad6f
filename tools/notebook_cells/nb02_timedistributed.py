"""02-timedistributed.ipynb: one-to-one, many-to-one and many-to-many on a five-number echo task."""

from . import code, explain, parameters, title

CELLS = [
    title(
        "Echoing a sequence: when TimeDistributed matters",
        "回声序列：TimeDistributed 何时有用",
        """
        The task is deliberately trivial: show the network `0.0, 0.2, 0.4, 0.6, 0.8` and ask for the same
        numbers back. Because the task is easy, what is left to look at is the *shape* of the problem: one
        step at a time (one-to-one), the whole sequence in and a vector out (many-to-one), or the whole
        sequence in and a sequence out (many-to-many). The parameter counts tell the three designs apart.
        """,
        """
        这个任务故意很简单：给网络看 `0.0, 0.2, 0.4, 0.6, 0.8`，让它原样输出这些数。任务本身不难，
        所以值得关注的是问题的*形状*：一次一个时间步（一对一）、整个序列进而一个向量出（多对一），
        或者整个序列进而一个序列出（多对多）。三种设计的区别可以从参数个数上看出来。
        """,
    ),
    parameters(
        """
        // Parameters: papermill can override them, e.g. `papermill -p epochs 100 …`.
        let epochs = 500
        """
    ),
    code(
        """
        LSTMKit.setRandomSeed(2)   // same weights, same shuffles, same numbers on every run
        LSTMKit.clearSession()     // layer names start again at lstm, dense, …
        let sequence: [Float] = [0.0, 0.2, 0.4, 0.6, 0.8]
        let length = sequence.count
        """
    ),
    explain(
        """
        Five samples, each a sequence of **one** time step with **one** feature: the input shape is
        (samples, timesteps, features) = (5, 1, 1), and each target is a single number. The LSTM has 5 units
        and a `Dense(1)` layer turns its 5 outputs into the prediction.
        """,
        """
        五个样本，每个样本是只有**一个**时间步、**一个**特征的序列：输入形状
        (样本数, 时间步, 特征数) = (5, 1, 1)，每个目标是一个数。LSTM 有 5 个单元，
        再由 `Dense(1)` 把它的 5 个输出变成预测值。
        """,
        "One-to-one: one step in, one number out",
        "一对一：输入一个时间步，输出一个数",
    ),
    code(
        """
        let xOne = try Tensor(shape: [length, 1, 1], scalars: sequence)
        let yOne = try Tensor(shape: [length, 1], scalars: sequence)
        let oneToOne = try Sequential([
            LSTM(units: 5, inputShape: [1, 1]),
            Dense(units: 1),
        ])
        oneToOne.compile(optimizer: Adam(learningRate: 0.01), loss: .mse)
        print("input", xOne.shape, "target", yOne.shape)
        oneToOne.summaryTable()
        """
    ),
    explain(
        """
        Why 140 and 6? An LSTM layer has four gates (input, forget, cell candidate, output). Each gate
        looks at the current input (d features), the previous hidden state (u units) and adds a bias, so
        it holds u·(d + u + 1) numbers; four gates make **4·u·(d + u + 1)** = 4·5·(1 + 5 + 1) = 140.
        A Dense layer holds one weight per input–output pair plus one bias per output: 5·1 + 1 = 6.
        """,
        """
        为什么是 140 和 6？LSTM 层有四个门（输入门、遗忘门、候选状态、输出门）。每个门都要看当前输入
        （d 个特征）、上一步的隐藏状态（u 个单元），再加一个偏置，所以一个门有 u·(d + u + 1) 个参数；
        四个门合计 **4·u·(d + u + 1)** = 4·5·(1 + 5 + 1) = 140。Dense 层每对输入和输出有一个权重，
        每个输出有一个偏置：5·1 + 1 = 6。
        """,
    ),
    code(
        """
        let oneToOneHistory = try oneToOne.fit(xOne, yOne, epochs: epochs, batchSize: length, verbose: 0)
        print("one-to-one final loss:", oneToOneHistory["loss"]!.last!)
        try oneToOne.predict(xOne, verbose: 0).rounded(places: 2)
        """
    ),
    explain(
        """
        Now feed the whole sequence as **one** sample of five steps: input (1, 5, 1). The LSTM reads all
        five steps and keeps only its last output (5 numbers), and `Dense(5)` must produce all five answers
        at once from that single vector. The LSTM is unchanged (140), but the output layer grows to
        5·5 + 5 = 30, because every output number gets its own weights.
        """,
        """
        现在把整个序列作为**一个**五步长的样本输入：形状 (1, 5, 1)。LSTM 读完五步后只保留最后的输出
        （5 个数），`Dense(5)` 必须从这一个向量同时给出全部五个答案。LSTM 不变（140），
        但输出层变成 5·5 + 5 = 30，因为每个输出数都有自己的一组权重。
        """,
        "Many-to-one: the sequence in, one vector out",
        "多对一：输入整个序列，输出一个向量",
    ),
    code(
        """
        let xSeq = try Tensor(shape: [1, length, 1], scalars: sequence)
        let yVector = try Tensor(shape: [1, length], scalars: sequence)
        let manyToOne = try Sequential([
            LSTM(units: 5, inputShape: [length, 1]),
            Dense(units: length),
        ])
        manyToOne.compile(optimizer: Adam(learningRate: 0.01), loss: .mse)
        display(manyToOne.summaryTable())
        let manyToOneHistory = try manyToOne.fit(xSeq, yVector, epochs: epochs, batchSize: 1, verbose: 0)
        print("many-to-one final loss:", manyToOneHistory["loss"]!.last!)
        try manyToOne.predict(xSeq, verbose: 0).rounded(places: 2)
        """
    ),
    explain(
        """
        With `returnSequences: true` the LSTM emits an output at **every** step: (1, 5, 5).
        `TimeDistributed(Dense(1))` applies one small Dense layer to each step in turn, with the same 6
        weights for all steps, so the output is (1, 5, 1) and the model is back to 140 + 6 parameters.
        The network now learns "map one step to one number" once, instead of five separate mappings.
        """,
        """
        设置 `returnSequences: true` 后，LSTM 在**每一个**时间步都输出：(1, 5, 5)。
        `TimeDistributed(Dense(1))` 把同一个小 Dense 层依次作用在每个时间步上，所有时间步共用这 6 个参数，
        因此输出是 (1, 5, 1)，模型又回到 140 + 6 个参数。网络只需学一次“把一个时间步映射成一个数”，
        而不是五个互不相干的映射。
        """,
        "Many-to-many with TimeDistributed",
        "多对多：使用 TimeDistributed",
    ),
    code(
        """
        let ySeq = try Tensor(shape: [1, length, 1], scalars: sequence)
        let manyToMany = try Sequential([
            LSTM(units: 5, returnSequences: true, inputShape: [length, 1]),
            TimeDistributed(Dense(units: 1)),
        ])
        manyToMany.compile(optimizer: Adam(learningRate: 0.01), loss: .mse)
        manyToMany.summaryTable()
        """
    ),
    code(
        """
        let manyToManyHistory = try manyToMany.fit(xSeq, ySeq, epochs: epochs, batchSize: 1, verbose: 0)
        print("many-to-many final loss:", manyToManyHistory["loss"]!.last!)
        print("prediction:", try manyToMany.predict(xSeq, verbose: 0).rounded(places: 2))
        manyToManyHistory
        """
    ),
    explain(
        """
        A picture of the many-to-many model, with the shape of the data between the layers.
        """,
        """
        多对多模型的结构图，并标出层与层之间的数据形状。
        """,
    ),
    code(
        """
        try plotModel(manyToMany, showShapes: true)
        """
    ),
    explain(
        """
        In Keras 3 a plain `Dense` layer given a 3-D input also works on the last axis, step by step, so
        `Dense(1)` after a sequence-returning LSTM has the same 6 parameters and the same output shape as
        `TimeDistributed(Dense(1))`. With identical weights the two compute identical numbers; the wrapper
        states the intent and is needed for layers that are not applied per step on their own.
        """,
        """
        在 Keras 3 中，普通 `Dense` 层接收三维输入时同样只作用在最后一个轴上、逐个时间步计算，
        所以接在返回序列的 LSTM 后面的 `Dense(1)` 与 `TimeDistributed(Dense(1))` 参数个数相同（6 个），
        输出形状也相同。权重相同时两者算出的数完全一样；包装层的作用是把意图写清楚，
        并且对那些本身不会逐时间步运行的层是必需的。
        """,
        "Dense or TimeDistributed(Dense)?",
        "Dense 还是 TimeDistributed(Dense)？",
    ),
    code(
        """
        let plainDense = try Sequential([
            LSTM(units: 5, returnSequences: true, inputShape: [length, 1]),
            Dense(units: 1),
        ])
        try plainDense.setWeights(manyToMany.getWeights())
        let wrapped = try manyToMany.predict(xSeq, verbose: 0)
        let plain = try plainDense.predict(xSeq, verbose: 0)
        print("parameters:", plainDense.countParams(), "vs", manyToMany.countParams())
        print("output shapes:", plain.shape, "vs", wrapped.shape)
        print("same predictions:", plain.isAlmostEqual(to: wrapped))
        """
    ),
]
