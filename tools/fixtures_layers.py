"""Forward outputs and gradients of every layer and option, from real Keras (JAX backend).

Each case is a short chain of layers applied to fixed inputs with fixed weights. The gradient fixture
uses L = sum over outputs k of mean((y_k - t_k)^2) with fixed targets t_k, differentiated with JAX with
respect to every weight (Keras `layer.weights` order) and every input.
"""
import jax
import jax.numpy as jnp
import keras
import numpy as np

from fixture_common import tensor, values

B, T, D, U = 2, 4, 3, 3


def keras_layer(spec):
    """Builds a Keras layer from a case spec written with LSTMKit's (camelCase) argument names."""
    kind = spec["type"]
    rnn = dict(return_sequences=spec.get("returnSequences", False),
               return_state=spec.get("returnState", False),
               go_backwards=spec.get("goBackwards", False),
               stateful=spec.get("stateful", False))
    if kind == "LSTM":
        return keras.layers.LSTM(spec["units"], activation=spec.get("activation", "tanh"), **rnn)
    if kind == "GRU":
        return keras.layers.GRU(spec["units"], reset_after=spec.get("resetAfter", True), **rnn)
    if kind == "SimpleRNN":
        return keras.layers.SimpleRNN(spec["units"], activation=spec.get("activation", "tanh"), **rnn)
    if kind == "Dense":
        return keras.layers.Dense(spec["units"], activation=spec.get("activation", "linear"))
    if kind == "TimeDistributed":
        return keras.layers.TimeDistributed(keras_layer(spec["layer"]))
    if kind == "Bidirectional":
        return keras.layers.Bidirectional(keras_layer(spec["layer"]), merge_mode=spec.get("mergeMode", "concat"))
    if kind == "RepeatVector":
        return keras.layers.RepeatVector(spec["n"])
    if kind == "Masking":
        return keras.layers.Masking(mask_value=spec.get("maskValue", 0.0))
    raise ValueError(kind)


def as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def build_case(name, layers, x, rng, description, extra_inputs=None, batch_size=None, second_input=None,
               constant_weights=None):
    """Runs a chain of layers (the first one may receive an initial state) and records everything."""
    keras.backend.clear_session()
    shape = x.shape[1:]
    inp = keras.Input(shape=shape, batch_size=batch_size)
    model_inputs = [inp]
    extra_tensors = []
    if extra_inputs is not None:
        extra_tensors = [keras.Input(shape=e.shape[1:], batch_size=batch_size) for e in extra_inputs]
        model_inputs += extra_tensors
    built = [keras_layer(spec) for spec in layers]
    h = inp
    for i, layer in enumerate(built):
        h = layer(h, initial_state=extra_tensors) if (i == 0 and extra_tensors) else layer(h)
    model = keras.Model(model_inputs if extra_tensors else inp, as_list(h))

    layer_weights = []
    for layer in built:
        ws = []
        for w in layer.weights:
            if constant_weights is not None:
                value = constant_weights(w)
            else:
                value = values(rng, tuple(w.shape))
            w.assign(value)
            ws.append(dict(name=w.path.split("/", 1)[1] if "/" in w.path else w.name, **tensor(value)))
        layer_weights.append(ws)

    all_inputs = [x] + list(extra_inputs or [])
    feed = all_inputs if len(all_inputs) > 1 else all_inputs[0]
    outputs = [np.asarray(o) for o in as_list(model(feed))]
    case = dict(name=name, description=description, layers=layers,
                inputs=[tensor(a) for a in all_inputs], weights=layer_weights,
                outputs=[tensor(o) for o in outputs])
    if second_input is not None:
        # Stateful: a second call continues from the states the first call left.
        case["secondInput"] = tensor(second_input)
        case["secondOutputs"] = [tensor(np.asarray(o)) for o in as_list(model(second_input))]
        return case

    targets = [values(rng, o.shape) for o in outputs]
    tv = [v.value for v in model.trainable_variables]
    ntv = [v.value for v in model.non_trainable_variables]

    def loss_fn(tv, inputs):
        outs, _ = model.stateless_call(tv, ntv, inputs if len(inputs) > 1 else inputs[0], training=False)
        return sum(jnp.mean((o - t) ** 2) for o, t in zip(as_list(outs), targets))

    loss, (g_w, g_x) = jax.value_and_grad(loss_fn, argnums=(0, 1))(tv, [jnp.asarray(a) for a in all_inputs])
    # trainable_variables follow layer order and each layer's weight order, as recorded above.
    flat = iter(g_w)
    case["targets"] = [tensor(t) for t in targets]
    case["loss"] = float(loss)
    case["gradients"] = dict(
        weights=[[dict(name=w["name"], **tensor(next(flat))) for w in ws] for ws in layer_weights],
        inputs=[tensor(g) for g in g_x])
    return case


def lstm(**kw):
    return dict(type="LSTM", units=U, **kw)


def make(rng):
    x = values(rng, (B, T, D), 1.0)
    cases = []
    add = lambda *a, **k: cases.append(build_case(*a, rng=rng, **k))  # noqa: E731
    add("lstm_default", [lstm()], x, description="LSTM(3), last output")
    add("lstm_relu", [lstm(activation="relu", returnSequences=True)], x, description="relu in both places")
    add("lstm_return_sequences", [lstm(returnSequences=True)], x, description="(B, T, u)")
    add("lstm_return_state", [lstm(returnState=True)], x, description="[output, h, c]")
    add("lstm_return_sequences_and_state", [lstm(returnSequences=True, returnState=True)], x,
        description="[sequence, h, c]")
    add("lstm_go_backwards", [lstm(goBackwards=True, returnSequences=True)], x,
        description="reversed time, sequence in processing order")
    add("lstm_go_backwards_last", [lstm(goBackwards=True)], x, description="reversed time, last output")
    masked = x.copy()
    masked[0, 0, :] = 0.0   # leading masked step: output zeros until the first real step
    masked[0, 2, :] = 0.0   # middle masked step: state and output carried over
    masked[1, 3, :] = 0.0   # trailing masked step
    add("lstm_masking", [dict(type="Masking", maskValue=0.0), lstm(returnSequences=True)], masked,
        description="Masking(0) then LSTM with masked leading, middle and trailing steps")
    add("lstm_masking_last", [dict(type="Masking", maskValue=0.0), lstm()], masked,
        description="Masking(0) then LSTM, last output")
    h0, c0 = values(rng, (B, U)), values(rng, (B, U))
    add("lstm_initial_state", [lstm(returnSequences=True)], x, extra_inputs=[h0, c0],
        description="initial_state=[h0, c0]")
    add("lstm_stateful", [lstm(stateful=True, returnSequences=True)], x, batch_size=B,
        second_input=values(rng, (B, T, D), 1.0), description="two consecutive calls keep h and c")
    add("bidirectional_lstm", [dict(type="Bidirectional", layer=lstm(returnSequences=True))], x,
        description="Bidirectional(LSTM(3, seq)), concat")
    add("bidirectional_lstm_last", [dict(type="Bidirectional", layer=lstm())], x,
        description="Bidirectional(LSTM(3)), concat of last forward and last backward")
    add("gru_default", [dict(type="GRU", units=U)], x, description="GRU(3), reset_after")
    add("gru_return_sequences", [dict(type="GRU", units=U, returnSequences=True)], x, description="GRU seq")
    add("simple_rnn", [dict(type="SimpleRNN", units=U, returnSequences=True)], x, description="SimpleRNN seq")
    add("dense_rank2", [dict(type="Dense", units=2, activation="tanh")], values(rng, (B, D), 1.0),
        description="Dense on (B, F)")
    add("dense_rank3", [dict(type="Dense", units=2)], x, description="Dense on the last axis of (B, T, F)")
    add("time_distributed_dense", [dict(type="TimeDistributed", layer=dict(type="Dense", units=2))], x,
        description="TimeDistributed(Dense(2))")
    add("repeat_vector", [lstm(), dict(type="RepeatVector", n=3), lstm(returnSequences=True)], x,
        description="LSTM -> RepeatVector(3) -> LSTM(seq)")
    add("stacked_autoencoder_small",
        [lstm(activation="relu", returnSequences=True), dict(type="LSTM", units=2, activation="relu"),
         dict(type="RepeatVector", n=T), lstm(activation="relu", returnSequences=True),
         dict(type="TimeDistributed", layer=dict(type="Dense", units=D))], x,
        description="the tutorial autoencoder's shape at small size")

    # Keras's own reference constants (kernel 0.01, recurrent 0.02, bias 0.03 with forget slice 1.0).
    def constants(w):
        n = w.path.rsplit("/", 1)[-1]
        if n == "kernel":
            return np.full(w.shape, 0.01, np.float32)
        if n == "recurrent_kernel":
            return np.full(w.shape, 0.02, np.float32)
        b = np.full(w.shape, 0.03, np.float32)
        b[U:2 * U] = 1.0
        return b
    ref = np.arange(72, dtype=np.float32).reshape(3, 6, 4)
    add("lstm_keras_reference", [lstm()], ref, constant_weights=constants,
        description="Keras test constants: last output [0.6288687, 0.86899155, 0.9460773]")
    # Appended cases (after the ones above, so their values stay unchanged when regenerated).
    add("gru_reset_before", [dict(type="GRU", units=U, resetAfter=False, returnSequences=True)], x,
        description="GRU with reset_after=False (bias (3u,), reset applied before the recurrent product)")
    add("gru_go_backwards_state", [dict(type="GRU", units=U, goBackwards=True, returnState=True)], x,
        description="GRU go_backwards with return_state: [output, h]")
    add("simple_rnn_relu_state", [dict(type="SimpleRNN", units=U, activation="relu", returnState=True)], x,
        description="SimpleRNN relu with return_state: [output, h]")
    add("bidirectional_gru", [dict(type="Bidirectional", layer=dict(type="GRU", units=U, returnSequences=True))], x,
        description="Bidirectional(GRU(3, seq))")
    add("masked_gru_dense", [dict(type="Masking", maskValue=0.0), dict(type="GRU", units=U, returnSequences=True),
                             dict(type="TimeDistributed", layer=dict(type="Dense", units=2, activation="relu"))],
        masked, description="Masking -> GRU(seq) -> TimeDistributed(Dense relu)")
    return cases
