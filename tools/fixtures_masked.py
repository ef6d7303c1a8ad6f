"""One masked-sequence fit, printed as JSON; run by fixtures_training.py once per Keras backend.

Usage: KERAS_BACKEND=jax|torch python tools/fixtures_masked.py SEED
"""
import json
import sys

import keras
import numpy as np

from fixture_common import tensor, values

T, D, U, OUT = 4, 3, 5, 2


def main(seed):
    rng = np.random.default_rng(seed)
    model = keras.Sequential([keras.Input((T, D)), keras.layers.Masking(0.0),
                              keras.layers.LSTM(U, return_sequences=True),
                              keras.layers.TimeDistributed(keras.layers.Dense(OUT))])
    start = [values(rng, tuple(w.shape)) for w in model.weights]
    model.set_weights(start)
    x = values(rng, (7, T, D), 1.0)
    x[0, :2] = 0.0   # leading padding
    x[3, 3] = 0.0    # trailing padding
    x[5, 1:] = 0.0   # mostly padding
    y = values(rng, (7, T, OUT), 1.0)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=2, batch_size=3, shuffle=False, verbose=0, validation_split=0.3)
    evaluated = model.evaluate(x, y, verbose=0, return_dict=True)
    print(json.dumps(dict(backend=keras.backend.backend(), startWeights=[tensor(w) for w in start], x=tensor(x),
                          y=tensor(y), history={k: [float(v) for v in vs] for k, vs in history.history.items()},
                          weightsAfter=[tensor(w) for w in model.get_weights()],
                          evaluate={k: float(v) for k, v in evaluated.items()})))


if __name__ == "__main__":
    main(int(sys.argv[1]))
