"""Exact `model.summary()` text of the tutorial models (and a few functional ones), from Keras 3.

The text is what `print_fn` receives, joined with newlines, as a user sees it in a terminal.
"""
import keras
import numpy as np


def summary_text(model, line_length=None):
    lines = []
    model.summary(line_length=line_length, print_fn=lambda line, **_: lines.append(line))
    return "\n".join(lines)


def autoencoder():
    return keras.Sequential([
        keras.Input((3, 2)),
        keras.layers.LSTM(128, activation="relu", return_sequences=True),
        keras.layers.LSTM(64, activation="relu", return_sequences=False),
        keras.layers.RepeatVector(3),
        keras.layers.LSTM(64, activation="relu", return_sequences=True),
        keras.layers.LSTM(128, activation="relu", return_sequences=True),
        keras.layers.TimeDistributed(keras.layers.Dense(2)),
    ])


def one_to_one():
    return keras.Sequential([keras.Input((1, 1)), keras.layers.LSTM(5), keras.layers.Dense(1)])


def many_to_one():
    return keras.Sequential([keras.Input((5, 1)), keras.layers.LSTM(5), keras.layers.Dense(5)])


def many_to_many():
    return keras.Sequential([keras.Input((5, 1)), keras.layers.LSTM(5, return_sequences=True),
                             keras.layers.TimeDistributed(keras.layers.Dense(1))])


def return_state():
    inp = keras.Input((3, 1))
    out, h, c = keras.layers.LSTM(4, return_state=True)(inp)
    return keras.Model(inp, [out, h, c])


def encoder_decoder():
    enc_in = keras.Input((5, 2))
    _, h, c = keras.layers.LSTM(8, return_state=True)(enc_in)
    dec_in = keras.Input((4, 1))
    dec = keras.layers.LSTM(8, return_sequences=True)(dec_in, initial_state=[h, c])
    out = keras.layers.TimeDistributed(keras.layers.Dense(1))(dec)
    return keras.Model([enc_in, dec_in], out)


def bidirectional_gru():
    return keras.Sequential([keras.Input((6, 3)), keras.layers.Masking(0.0),
                             keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True)),
                             keras.layers.GRU(5), keras.layers.Dense(3),
                             keras.layers.Dropout(0.1)])


def nested_encoder_decoder():
    """Seed 001's form: Model(encoder.inputs, decoder(encoder(encoder.inputs))); each nested model is one row."""
    inp = keras.Input((3, 2))
    encoded = keras.layers.LSTM(16, activation="relu")(inp)
    encoder = keras.Model(inp, encoded)
    code = keras.Input((16,))
    x = keras.layers.RepeatVector(3)(code)
    x = keras.layers.LSTM(16, activation="relu", return_sequences=True)(x)
    decoder = keras.Model(code, keras.layers.TimeDistributed(keras.layers.Dense(2))(x))
    return keras.Model(encoder.inputs, decoder(encoder(encoder.inputs)))


def nested_sequential():
    """Sequential models called inside a functional model, one of them twice (shared weights)."""
    head = keras.Sequential([keras.Input((3, 4)), keras.layers.LSTM(4, return_sequences=True)])
    tail = keras.Sequential([keras.Input((3, 4)), keras.layers.LSTM(2), keras.layers.Dense(1)])
    inp = keras.Input((3, 4))
    return keras.Model(inp, tail(head(head(inp))))


def nested_states():
    """An encoder model returning its LSTM states feeds a decoder's initial state: "Connected to" names
    the nested call's outputs (encoder[0][0], encoder[0][1])."""
    inp = keras.Input((5, 2))
    _, h, c = keras.layers.LSTM(4, return_state=True)(inp)
    encoder = keras.Model(inp, [h, c], name="encoder")
    enc_in, dec_in = keras.Input((5, 2)), keras.Input((3, 1))
    states = encoder(enc_in)
    dec = keras.layers.LSTM(4, return_sequences=True)(dec_in, initial_state=states)
    return keras.Model([enc_in, dec_in], keras.layers.TimeDistributed(keras.layers.Dense(1))(dec))


def unbuilt():
    return keras.Sequential([keras.layers.LSTM(5), keras.layers.Dense(1)])


def make():
    cases = []
    for name, builder, params in [("autoencoder", autoencoder, 248578), ("one_to_one", one_to_one, 146),
                                  ("many_to_one", many_to_one, 170), ("many_to_many", many_to_many, 146),
                                  ("return_state", return_state, None),
                                  ("encoder_decoder", encoder_decoder, None),
                                  ("bidirectional_gru", bidirectional_gru, None),
                                  ("nested_encoder_decoder", nested_encoder_decoder, None),
                                  ("nested_sequential", nested_sequential, None),
                                  ("nested_states", nested_states, None),
                                  ("unbuilt", unbuilt, None)]:
        keras.backend.clear_session()
        model = builder()
        if params is not None:
            assert model.count_params() == params, (name, model.count_params())
        total = model.count_params() if model.built else 0
        cases.append(dict(name=name, totalParams=total, text=summary_text(model)))

    # After training, Keras adds an "Optimizer params" line (Adam: iterations, learning rate, m and v).
    for opt_name, opt in [("adam", keras.optimizers.Adam()), ("sgd", keras.optimizers.SGD()),
                          ("sgd_momentum", keras.optimizers.SGD(momentum=0.9)),
                          ("rmsprop", keras.optimizers.RMSprop())]:
        keras.backend.clear_session()
        model = one_to_one()
        model.compile(optimizer=opt, loss="mse")
        model.fit(np.zeros((5, 1, 1), np.float32), np.zeros((5, 1), np.float32), epochs=1, verbose=0)
        cases.append(dict(name=f"one_to_one_trained_{opt_name}", totalParams=model.count_params(),
                          optimizerVariables=[dict(path=v.path, shape=list(v.shape), dtype=str(v.dtype))
                                              for v in opt.variables],
                          text=summary_text(model)))
    # Other widths (`lineLength:`), to check the column layout beyond the default 76.
    for width in (60, 100, 120):
        for name, builder in [("autoencoder", autoencoder), ("encoder_decoder", encoder_decoder)]:
            keras.backend.clear_session()
            model = builder()
            cases.append(dict(name=f"{name}_width{width}", lineLength=width, totalParams=model.count_params(),
                              text=summary_text(model, width)))
    return cases
