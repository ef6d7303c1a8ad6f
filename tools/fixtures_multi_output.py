"""Metrics and per-output losses of a two-output model, from real Keras.

Model: Input(4, 3) -> LSTM(5) -> [Dense(2, name "a"), Dense(1, name "b")], loss mse (applied to each
output and summed), Adam(0.01). Each run compiles with one `metrics` form (flat list with one entry per
output, list of lists, dict by output name) and fits two epochs with a validation split, shuffle off:
the full History (Keras names: loss, a_loss, b_loss, a_mae, …) and evaluate(return_dict=True).
`errors` records the message Keras gives for a flat list whose length is not the number of outputs.
"""
import keras
import numpy as np

from fixture_common import tensor, values

T, D, U = 4, 3, 5


def build(weights=None):
    keras.backend.clear_session()
    inp = keras.Input((T, D))
    h = keras.layers.LSTM(U)(inp)
    model = keras.Model(inp, [keras.layers.Dense(2, name="a")(h), keras.layers.Dense(1, name="b")(h)])
    if weights is not None:
        model.set_weights(weights)
    return model


def make(rng):
    start = [values(rng, w.shape) for w in build().get_weights()]
    x = values(rng, (10, T, D), 1.0)
    ya = values(rng, (10, 2), 1.0)
    yb = values(rng, (10, 1), 1.0)
    runs = []
    for name, metrics in [("flat_one_per_output", ["mae", "mse"]), ("list_of_lists", [["mae"], ["mse", "mae"]]),
                          ("dict_by_name", {"b": ["mae", "mse"]}), ("no_metrics", [])]:
        model = build(start)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=metrics)
        history = model.fit(x, [ya, yb], epochs=2, batch_size=4, validation_split=0.3, shuffle=False, verbose=0)
        runs.append(dict(name=name, metrics=metrics, history=history.history,
                         evaluate=model.evaluate(x, [ya, yb], verbose=0, return_dict=True)))
    errors = []
    for metrics in [["mae"], ["mae", "mse", "mae"]]:
        model = build(start)
        model.compile(optimizer="adam", loss="mse", metrics=metrics)
        try:
            model.fit(x, [ya, yb], epochs=1, verbose=0)
            errors.append(dict(metrics=metrics, message=None))
        except ValueError as e:
            errors.append(dict(metrics=metrics, message=str(e)))
    return dict(startWeights=[tensor(w) for w in start], x=tensor(x), ya=tensor(ya), yb=tensor(yb), runs=runs,
                errors=errors)
