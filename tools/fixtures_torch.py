"""PyTorch nn.LSTM / nn.GRU outputs for the same kind of inputs, with PyTorch-layout weights.

LSTMKit converts them to Keras layout (kernel = weight_ih^T, recurrent = weight_hh^T, bias = b_ih + b_hh
for LSTM; GRU gate order r, z, n -> z, r, h with bias rows [b_ih, b_hh]) and must reproduce the outputs.
"""
import numpy as np
import torch

from fixture_common import tensor, values


def make(rng):
    torch.manual_seed(0)
    cases = []
    x = values(rng, (2, 4, 3), 1.0)
    for kind, module in [("LSTM", torch.nn.LSTM), ("GRU", torch.nn.GRU)]:
        net = module(input_size=3, hidden_size=3, batch_first=True)
        weights = {}
        with torch.no_grad():
            for name, p in net.named_parameters():
                v = values(rng, tuple(p.shape))
                p.copy_(torch.from_numpy(v))
                weights[name] = tensor(v)
        xt = torch.from_numpy(x).requires_grad_(True)
        out, state = net(xt)
        states = list(state) if isinstance(state, tuple) else [state]
        target = values(rng, tuple(out.shape))
        loss = ((out - torch.from_numpy(target)) ** 2).mean()
        loss.backward()
        cases.append(dict(
            name=f"torch_{kind.lower()}", type=kind, input=tensor(x), weights=weights,
            sequence=tensor(out.detach().numpy()),
            finalStates=[tensor(s.detach().numpy()[0]) for s in states],
            target=tensor(target), loss=float(loss.detach()),
            inputGradient=tensor(xt.grad.numpy()),
            weightGradients={n: tensor(p.grad.numpy()) for n, p in net.named_parameters()}))
    return cases
