"""Weight regularizers in training, from real Keras: Input(4, 3) -> LSTM(5) -> Dense(2), mse, Adam(0.01).

LSTM: kernel L2(0.01), recurrent L1(0.005), bias L1L2(0.001, 0.002); Dense: kernel L1L2(0.01, 0.02),
bias L2(0.05). `penaltyBefore` is sum(model.losses) on the start weights; `steps` three train_on_batch
calls (the reported loss includes the penalties); `evaluate` after them; `fit` two epochs with a
validation split (history, weights after).
"""
import keras
import numpy as np

from fixture_common import tensor, values

T, D, U, OUT = 4, 3, 5, 2


def model_with(weights):
    keras.backend.clear_session()
    r = keras.regularizers
    model = keras.Sequential([
        keras.Input((T, D)),
        keras.layers.LSTM(U, kernel_regularizer=r.L2(0.01), recurrent_regularizer=r.L1(0.005),
                          bias_regularizer=r.L1L2(l1=0.001, l2=0.002)),
        keras.layers.Dense(OUT, kernel_regularizer=r.L1L2(l1=0.01, l2=0.02), bias_regularizer=r.L2(0.05)),
    ])
    model.set_weights(weights)
    return model


def make(rng):
    start = [values(rng, (D, 4 * U)), values(rng, (U, 4 * U)), values(rng, (4 * U,)),
             values(rng, (U, OUT)), values(rng, (OUT,))]
    start[2][0] = 0.0   # a zero weight: JAX differentiates L1's |w| there as +1
    x = values(rng, (6, T, D), 1.0)
    y = values(rng, (6, OUT), 1.0)
    model = model_with(start)
    penalty = float(sum(float(l) for l in model.losses))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    losses = [float(model.train_on_batch(x, y)) for _ in range(3)]
    weights_after = [tensor(w) for w in model.get_weights()]
    evaluated = model.evaluate(x, y, verbose=0, return_dict=True)

    model = model_with(start)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=2, batch_size=4, validation_split=0.34, shuffle=False, verbose=0)
    config = model.layers[0].get_config()
    return dict(startWeights=[tensor(w) for w in start], x=tensor(x), y=tensor(y), penaltyBefore=penalty,
                losses=losses, weightsAfter=weights_after, evaluate=evaluated,
                fit=dict(history=history.history, weightsAfter=[tensor(w) for w in model.get_weights()]),
                lstmRegularizers={k: config[k] for k in ("kernel_regularizer", "recurrent_regularizer", "bias_regularizer")})
