"""Chapter 4's equations computed by torch's own layers: the independent reference that
the exercise checks and the tests of ``seqbook.reference.attention`` compare against.

``nn.Linear`` layers without bias hold copies of W, U and v; ``torch.softmax`` after
``masked_fill(-inf)`` is the masked softmax; ``nn.GRUCell`` and an ``nn.Linear`` output
layer make the decoder step. Every layer is built inside ``torch.random.fork_rng``, so
computing a reference never moves a lab's random numbers on. All in float64.
"""

import numpy as np
import torch


def torch_masked_softmax(scores, mask):
    """torch.softmax over axis 1 after masked_fill(-inf) at the padding: (B, S)."""
    scores = torch.as_tensor(scores, dtype=torch.float64)
    mask = torch.as_tensor(mask, dtype=torch.bool)
    return torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1).numpy()


def torch_linear(weight):
    """nn.Linear without bias holding a copy of ``weight`` (out, in), float64."""
    with torch.random.fork_rng():
        layer = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=False,
                                dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(weight))
    return layer


def torch_attention(query, keys, mask, W, U, v):
    """Additive attention from torch layers.

    Args:
        query: (B, Hd).  keys: (B, S, Hk).  mask: (B, S), True at real positions.
        W: (A, Hd), U: (A, Hk), v: (A,).

    Returns:
        ``(context, weights, scores)``: (B, Hk), (B, S) and (B, S) numpy arrays.
    """
    W_layer, U_layer, v_layer = torch_linear(W), torch_linear(U), torch_linear(v[None])
    query, keys = torch.as_tensor(query), torch.as_tensor(keys)
    with torch.no_grad():
        scores = v_layer(torch.tanh(W_layer(query)[:, None, :] + U_layer(keys))).squeeze(-1)
        weights = torch.softmax(
            scores.masked_fill(~torch.as_tensor(np.asarray(mask, dtype=bool)),
                               float("-inf")), dim=1)  # (B, S)
        context = torch.bmm(weights[:, None, :], keys).squeeze(1)  # (B, Hk)
    return context.numpy(), weights.numpy(), scores.numpy()


def torch_decoder_step(prev_embedding, state_prev, keys, mask, params):
    """One attention decoder step from nn.GRUCell and nn.Linear holding ``params``.

    Args:
        prev_embedding: (B, E).  state_prev: s_{t-1}, (B, Hd).  keys: (B, S, Hk).
        mask: (B, S).  params: ``W``, ``U``, ``v`` (attention), ``W_x``, ``W_h``, ``b_x``,
            ``b_h`` (the GRU, input [embedding, context]), ``W_out``, ``b_out`` (the output
            layer, input [state, context, embedding]).

    Returns:
        ``(logits, state, weights)``: (B, V), (B, Hd), (B, S).
    """
    E, Hd, Hk = prev_embedding.shape[1], state_prev.shape[1], keys.shape[2]
    V = params["W_out"].shape[0]
    context, weights, _ = torch_attention(state_prev, keys, mask, params["W"], params["U"],
                                          params["v"])
    with torch.random.fork_rng():
        cell = torch.nn.GRUCell(E + Hk, Hd, dtype=torch.float64)
        out = torch.nn.Linear(Hd + Hk + E, V, dtype=torch.float64)
    with torch.no_grad():
        for name, key in [("weight_ih", "W_x"), ("weight_hh", "W_h"), ("bias_ih", "b_x"),
                          ("bias_hh", "b_h")]:
            getattr(cell, name).copy_(torch.as_tensor(params[key]))
        out.weight.copy_(torch.as_tensor(params["W_out"]))
        out.bias.copy_(torch.as_tensor(params["b_out"]))
        embedding, context_t = torch.as_tensor(prev_embedding), torch.as_tensor(context)
        state = cell(torch.cat([embedding, context_t], dim=1), torch.as_tensor(state_prev))
        logits = out(torch.cat([state, context_t, embedding], dim=1))
    return logits.numpy(), state.numpy(), weights


def torch_luong_attention(query, keys, mask, W_a=None):
    """Luong's attention from torch's own pieces, independently of the numpy code: an
    ``nn.Linear(Hk, Hd, bias=False)`` holding W_a projects the keys (general; none for
    dot), ``torch.bmm`` scores them, ``masked_fill`` and ``torch.softmax`` weigh them, and
    ``scaled_dot_product_attention`` with ``scale=1`` forms the context.

    Args:
        query: (B, Hd).  keys: (B, S, Hk).  mask: (B, S), True at real positions.
        W_a: (Hd, Hk) for the general score, None for the dot score (Hd = Hk).

    Returns ``(context, weights, scores)``, numpy arrays (B, Hk), (B, S), (B, S).
    """
    query, keys = torch.as_tensor(query), torch.as_tensor(keys)
    real = torch.as_tensor(np.asarray(mask, dtype=bool))
    projected = keys
    with torch.no_grad():
        if W_a is not None:
            projected = torch_linear(W_a)(keys)  # (B, S, Hd): W_a h_j
        scores = torch.bmm(projected, query[:, :, None]).squeeze(2)  # (B, S)
        weights = torch.softmax(scores.masked_fill(~real, float("-inf")), dim=1)
        context = torch.nn.functional.scaled_dot_product_attention(
            query[:, None, :], projected, keys, attn_mask=real[:, None, :], scale=1.0)
    return context[:, 0].numpy(), weights.numpy(), scores.numpy()
