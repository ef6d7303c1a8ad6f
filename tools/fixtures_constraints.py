"""Weight constraints, applied after each optimizer step, from real Keras.

Model: Input(4, 3) -> LSTM(5, kernel MaxNorm(0.5), recurrent UnitNorm(), bias NonNeg())
-> Dense(2, kernel MinMaxNorm(0.2, 0.6, rate=0.5, axis=1), bias MaxNorm(0.1)), mse, SGD(0.1).
Three train_on_batch calls: losses and the weights after the third.
"""
import keras
import numpy as np

from fixture_common import tensor, values

T, D, U, OUT = 4, 3, 5, 2


def make(rng):
    keras.backend.clear_session()
    c = keras.constraints
    model = keras.Sequential([
        keras.Input((T, D)),
        keras.layers.LSTM(U, kernel_constraint=c.MaxNorm(0.5), recurrent_constraint=c.UnitNorm(),
                          bias_constraint=c.NonNeg()),
        keras.layers.Dense(OUT, kernel_constraint=c.MinMaxNorm(0.2, 0.6, rate=0.5, axis=1),
                           bias_constraint=c.MaxNorm(0.1)),
    ])
    start = [values(rng, w.shape) for w in model.get_weights()]
    model.set_weights(start)
    x = values(rng, (6, T, D), 1.0)
    y = values(rng, (6, OUT), 1.0)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    losses = [float(model.train_on_batch(x, y)) for _ in range(3)]
    return dict(startWeights=[tensor(w) for w in start], x=tensor(x), y=tensor(y), losses=losses,
                weightsAfter=[tensor(w) for w in model.get_weights()])
