"""Loss values, their gradients with respect to the predictions, and metric values, from Keras.

Every loss is Keras's default reduction ("sum_over_batch_size": the mean of the per-sample losses).
"""
import jax
import jax.numpy as jnp
import keras
import numpy as np

from fixture_common import tensor, values


def probabilities(rng, shape):
    p = rng.uniform(0.05, 1.0, size=shape).astype(np.float32)
    return (p / p.sum(axis=-1, keepdims=True)).astype(np.float32)


def loss_case(name, loss_name, y_true, y_pred, description):
    fn = keras.losses.get(loss_name)
    fn = keras.losses.deserialize(loss_name) if not callable(fn) else fn
    loss_obj = {"mse": keras.losses.MeanSquaredError(), "mae": keras.losses.MeanAbsoluteError(),
                "binary_crossentropy": keras.losses.BinaryCrossentropy(),
                "categorical_crossentropy": keras.losses.CategoricalCrossentropy(),
                "sparse_categorical_crossentropy": keras.losses.SparseCategoricalCrossentropy()}[loss_name]
    value, grad = jax.value_and_grad(lambda p: loss_obj(jnp.asarray(y_true), p))(jnp.asarray(y_pred))
    return dict(name=name, loss=loss_name, description=description, yTrue=tensor(y_true),
                yPred=tensor(y_pred), value=float(value), gradient=tensor(np.asarray(grad)))


def metric_value(metric, y_true, y_pred):
    metric.update_state(y_true, y_pred)
    return float(metric.result())


def make(rng):
    cases = []
    a, b = values(rng, (4, 3), 1.0), values(rng, (4, 3), 1.0)
    cases.append(loss_case("mse_rank2", "mse", a, b, "mean over the last axis, then over samples"))
    a3, b3 = values(rng, (2, 3, 2), 1.0), values(rng, (2, 3, 2), 1.0)
    cases.append(loss_case("mse_rank3", "mse", a3, b3, "sequence targets (B, T, F)"))
    cases.append(loss_case("mae_rank2", "mae", a, b, "mean absolute error"))
    cases.append(loss_case("mae_rank3", "mae", a3, b3, "mean absolute error on (B, T, F)"))
    t = (rng.uniform(size=(4, 2)) > 0.5).astype(np.float32)
    p = rng.uniform(0.02, 0.98, size=(4, 2)).astype(np.float32)
    cases.append(loss_case("bce", "binary_crossentropy", t, p, "probabilities inside (0, 1)"))
    pc = p.copy()
    pc[0, 0], pc[1, 1], pc[2, 0] = 0.0, 1.0, 1e-9
    cases.append(loss_case("bce_clipped", "binary_crossentropy", t, pc,
                           "predictions 0, 1 and 1e-9 are clipped to [1e-7, 1 - 1e-7]"))
    labels = rng.integers(0, 4, size=5)
    onehot = np.eye(4, dtype=np.float32)[labels]
    probs = probabilities(rng, (5, 4))
    cases.append(loss_case("cce", "categorical_crossentropy", onehot, probs, "softmax-like rows"))
    raw = rng.uniform(0.1, 2.0, size=(5, 4)).astype(np.float32)
    cases.append(loss_case("cce_unnormalized", "categorical_crossentropy", onehot, raw,
                           "rows not summing to 1 are divided by their sum first"))
    cases.append(loss_case("scce", "sparse_categorical_crossentropy", labels.astype(np.float32), probs,
                           "integer labels given as floats, shape (B,)"))
    seq_labels = rng.integers(0, 3, size=(2, 3)).astype(np.float32)
    cases.append(loss_case("scce_rank3", "sparse_categorical_crossentropy", seq_labels,
                           probabilities(rng, (2, 3, 3)), "labels (B, T), predictions (B, T, C)"))

    metrics = []
    metrics.append(dict(name="binary_accuracy", yTrue=tensor(t), yPred=tensor(p),
                        value=metric_value(keras.metrics.BinaryAccuracy(), t, p),
                        description="'accuracy' with binary cross-entropy: prediction > 0.5"))
    metrics.append(dict(name="categorical_accuracy", yTrue=tensor(onehot), yPred=tensor(probs),
                        value=metric_value(keras.metrics.CategoricalAccuracy(), onehot, probs),
                        description="'accuracy' with categorical cross-entropy: argmax match"))
    metrics.append(dict(name="sparse_categorical_accuracy", yTrue=tensor(labels.astype(np.float32)),
                        yPred=tensor(probs),
                        value=metric_value(keras.metrics.SparseCategoricalAccuracy(), labels, probs),
                        description="'accuracy' with sparse categorical cross-entropy"))
    metrics.append(dict(name="mae", yTrue=tensor(a), yPred=tensor(b),
                        value=metric_value(keras.metrics.MeanAbsoluteError(), a, b),
                        description="mean absolute error metric"))
    return dict(losses=cases, metrics=metrics)
