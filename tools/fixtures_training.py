"""Optimizer steps and fit histories on a small LSTM model, from real Keras.

Model: Input(4, 3) -> LSTM(5) -> Dense(2), mse. Fixed starting weights and data are written into the
fixture. `steps`: three train_on_batch calls per optimizer (loss of each, weights after the third).
`fits`: full fit() runs with shuffle=False (history, weights after, evaluate and predict results).
"""
import keras
import numpy as np

from fixture_common import tensor, values

T, D, U, OUT = 4, 3, 5, 2

OPTIMIZERS = [
    ("adam_default", "Adam", dict()),
    ("adam_lr0.01", "Adam", dict(learning_rate=0.01)),
    ("sgd", "SGD", dict(learning_rate=0.1)),
    ("sgd_momentum", "SGD", dict(learning_rate=0.1, momentum=0.9)),
    ("sgd_nesterov", "SGD", dict(learning_rate=0.1, momentum=0.9, nesterov=True)),
    ("rmsprop", "RMSprop", dict(learning_rate=0.01)),
    ("rmsprop_momentum_centered", "RMSprop", dict(learning_rate=0.01, momentum=0.9, centered=True)),
    ("adam_custom", "Adam", dict(learning_rate=0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-5)),
]


def model_with(weights):
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((T, D)), keras.layers.LSTM(U), keras.layers.Dense(OUT)])
    model.set_weights(weights)
    return model


def optimizer(kind, args):
    return getattr(keras.optimizers, kind)(**args)


def make(rng):
    start = [values(rng, (D, 4 * U)), values(rng, (U, 4 * U)), values(rng, (4 * U,)),
             values(rng, (U, OUT)), values(rng, (OUT,))]
    x = values(rng, (6, T, D), 1.0)
    y = values(rng, (6, OUT), 1.0)
    steps = []
    for name, kind, args in OPTIMIZERS:
        model = model_with(start)
        model.compile(optimizer=optimizer(kind, args), loss="mse")
        losses = []
        for _ in range(3):
            before = float(np.mean((model.predict(x, verbose=0) - y) ** 2))
            reported = float(model.train_on_batch(x, y))
            losses.append(dict(before=before, reported=reported))
        steps.append(dict(name=name, optimizer=kind, arguments=args, losses=losses,
                          weightsAfter=[tensor(w) for w in model.get_weights()]))

    xf = values(rng, (10, T, D), 1.0)
    yf = values(rng, (10, OUT), 1.0)
    fits = []
    runs = [
        ("split_partial_batches", dict(epochs=3, batch_size=4, validation_split=0.25), ["mae"]),
        ("validation_data", dict(epochs=2, batch_size=3), []),
        ("default_batch", dict(epochs=2), ["mae"]),
    ]
    for name, args, metrics in runs:
        model = model_with(start)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=metrics)
        fit_args = dict(args, shuffle=False, verbose=0)
        if name == "validation_data":
            fit_args["validation_data"] = (x, y)
        history = model.fit(xf, yf, **fit_args)
        evaluated = model.evaluate(xf, yf, verbose=0, return_dict=True)
        fits.append(dict(name=name, arguments=args, metrics=metrics, history=history.history,
                         epochs=history.epoch, weightsAfter=[tensor(w) for w in model.get_weights()],
                         evaluate=evaluated, predict=tensor(model.predict(xf, verbose=0, batch_size=4))))
    return dict(startWeights=[tensor(w) for w in start], x=tensor(x), y=tensor(y), steps=steps,
                fitX=tensor(xf), fitY=tensor(yf), fitValidationX=tensor(x), fitValidationY=tensor(y),
                fits=fits, maskedFit=masked_fit(rng), earlyStopping=early_stopping(start, xf, yf))


def early_stopping(start, x, y):
    """EarlyStopping(val_loss, patience 2, restore best weights) with a learning rate that overshoots."""
    model = model_with(start)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.1), loss="mse")
    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=30, batch_size=4, validation_split=0.3, shuffle=False, verbose=0,
                        callbacks=[stopper])
    return dict(history=history.history, stoppedEpoch=stopper.stopped_epoch, bestEpoch=stopper.best_epoch,
                weightsAfter=[tensor(w) for w in model.get_weights()])


def masked_fit(rng):
    """Masking -> LSTM(seq) -> TimeDistributed(Dense): Keras weighs the loss and metrics by the mask.

    Run under both the JAX and the torch backend (each in its own process, fixtures_masked.py): with JAX,
    Keras 3 drops the mask of y_pred on its way out of the gradient transform, so the *training* metrics
    are unmasked there, while the torch (and TensorFlow) backends mask them. LSTMKit follows the latter.
    """
    import json
    import os
    import subprocess
    import sys
    seed = int(rng.integers(0, 2 ** 31))
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures_masked.py")
    runs = {}
    for backend in ("jax", "torch"):
        env = dict(os.environ, KERAS_BACKEND=backend)
        out = subprocess.run([sys.executable, script, str(seed)], env=env, check=True, capture_output=True, text=True)
        runs[backend] = json.loads(out.stdout.strip().splitlines()[-1])
    result = runs["jax"]
    result["historyTorchBackend"] = runs["torch"]["history"]
    return result
