"""Bidirectional with merge_mode=None (the two directions as separate outputs), from real Keras.

Each case: fixed weights and inputs, every output of the layer, the summary text of the functional model,
the saved merge_mode (None), and one SGD train_on_batch step with mse on the [forward, backward] outputs
(loss reported, weights after), which checks the gradients of the separate outputs.
"""
import keras
import numpy as np

from fixture_common import tensor, values

T, D, U = 4, 3, 3


def summary_text(model):
    lines = []
    model.summary(print_fn=lambda line, **_: lines.append(line))
    return "\n".join(lines)


def case(rng, name, kind, return_sequences, return_state, masked):
    keras.backend.clear_session()
    rnn = getattr(keras.layers, kind)(U, return_sequences=return_sequences, return_state=return_state)
    inp = keras.Input((T, D))
    h = keras.layers.Masking(0.0)(inp) if masked else inp
    outs = keras.layers.Bidirectional(rnn, merge_mode=None)(h)
    outs = list(outs)
    model = keras.Model(inp, outs)
    weights = [values(rng, w.shape) for w in model.get_weights()]
    model.set_weights(weights)
    x = values(rng, (2, T, D), 1.0)
    if masked:
        x[0, 0, :] = 0.0   # a padded first step in sample 0
        x[1, T - 1, :] = 0.0   # a padded last step in sample 1
    predicted = model.predict(x, verbose=0)
    text = summary_text(model)
    merge_mode = model.get_config()["layers"][-1]["config"]["merge_mode"]

    train = keras.Model(inp, outs[:2])
    targets = [values(rng, o.shape) for o in predicted[:2]]
    train.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    # A multi-output train_on_batch returns [total loss, forward output's loss, backward output's loss].
    loss = [float(v) for v in train.train_on_batch(x, targets)]
    return dict(name=name, kind=kind, units=U, returnSequences=return_sequences, returnState=return_state,
                masked=masked, weights=[tensor(w) for w in weights], x=tensor(x),
                outputs=[tensor(o) for o in predicted], summary=text, mergeMode=merge_mode,
                targets=[tensor(t) for t in targets], trainLosses=loss,
                weightsAfter=[tensor(w) for w in train.get_weights()])


def make(rng):
    return [case(rng, "lstm_sequences_state", "LSTM", True, True, False),
            case(rng, "gru_last_masked", "GRU", False, False, True),
            case(rng, "simple_rnn_sequences_masked", "SimpleRNN", True, False, True)]
