"""torch's recurrent layers as the book uses them: one table of the three cells, the
gate-bias initialisations of Chapters 2 and 3, and Greff et al.'s LSTM variants."""

import torch
from torch import nn

RECURRENT = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}  # the book's name -> torch's


def make_recurrent(cell, input_size, hidden_size):
    """A one-layer, batch-first ``torch.nn.RNN`` (tanh), ``LSTM`` or ``GRU``, by name.

    Shapes: inputs (B, T, input_size) -> ``(hiddens (B, T, hidden_size), state)``.
    """
    if cell not in RECURRENT:
        raise ValueError(f"cell must be one of {sorted(RECURRENT)}; got {cell!r}.")
    return RECURRENT[cell](input_size, hidden_size, batch_first=True)


@torch.no_grad()
def set_forget_bias(lstm, value):
    """Make an LSTM's forget-gate bias start at ``value``, for every unit.

    In torch's packed order i, f, g, o the forget gate is the second block of H rows. torch
    adds two biases, so the first gets ``value`` and the second zero.
    """
    H = lstm.hidden_size
    if isinstance(lstm, nn.LSTM):
        lstm.bias_ih_l0[H:2 * H].fill_(value)
        lstm.bias_hh_l0[H:2 * H].fill_(0.0)
    elif isinstance(lstm, LSTMVariant):
        lstm.input_weights.bias[H:2 * H].fill_(value)
    else:
        raise TypeError(f"set_forget_bias needs an LSTM; got {type(lstm).__name__}.")


class LSTMVariant(nn.Module):
    """An LSTM layer written gate by gate, with the switches of Greff et al.'s ablation.

    With every switch at its default this computes exactly what ``torch.nn.LSTM`` computes
    (same packed weights, order i, f, g, o). The switches:

    - ``forget_gate=False``: f_t = 1 always, the 1997 LSTM without a forget gate;
    - ``output_activation=False``: h_t = o_t * c_t, no tanh on the cell;
    - ``coupled=True``: i_t = 1 - f_t, one gate decides both forgetting and writing;
    - ``peepholes=True``: the gates also see the cell, equations (2.13) to (2.15).

    Shapes: inputs (B, T, D) -> ``(hiddens (B, T, H), (hidden, cell))``, like torch's module
    with ``batch_first=True``.
    """

    def __init__(self, input_size, hidden_size, forget_gate=True, output_activation=True,
                 coupled=False, peepholes=False):
        super().__init__()
        self.hidden_size = hidden_size
        self.forget_gate, self.output_activation = forget_gate, output_activation
        self.coupled, self.peepholes = coupled, peepholes
        self.input_weights = nn.Linear(input_size, 4 * hidden_size)  # W_x and b
        self.hidden_weights = nn.Linear(hidden_size, 4 * hidden_size, bias=False)  # W_h
        if peepholes:
            self.peep_i = nn.Parameter(torch.zeros(hidden_size))
            self.peep_f = nn.Parameter(torch.zeros(hidden_size))
            self.peep_o = nn.Parameter(torch.zeros(hidden_size))

    @torch.no_grad()
    def copy_from(self, lstm):
        """Take the weights of a one-layer ``torch.nn.LSTM`` (its two biases summed), so a
        variant starts from exactly the same initial weights as the plain LSTM."""
        self.input_weights.weight.copy_(lstm.weight_ih_l0)
        self.input_weights.bias.copy_(lstm.bias_ih_l0 + lstm.bias_hh_l0)
        self.hidden_weights.weight.copy_(lstm.weight_hh_l0)
        return self

    def forward(self, inputs):
        B, T, D = inputs.shape  # batch, time, input size
        hidden = inputs.new_zeros(B, self.hidden_size)  # (B, H)
        cell = inputs.new_zeros(B, self.hidden_size)  # (B, H)
        projected = self.input_weights(inputs)  # (B, T, 4H): W_x x_t + b for every t at once
        hiddens = []
        for projected_t in projected.unbind(1):  # (B, 4H) each; one gradient op, not T
            pre = projected_t + self.hidden_weights(hidden)  # (B, 4H)
            i_pre, f_pre, g_pre, o_pre = pre.chunk(4, dim=1)  # each (B, H)
            if self.peepholes:
                i_pre = i_pre + self.peep_i * cell
                f_pre = f_pre + self.peep_f * cell
            forget_gate = torch.sigmoid(f_pre) if self.forget_gate else torch.ones_like(f_pre)
            input_gate = 1.0 - forget_gate if self.coupled else torch.sigmoid(i_pre)
            cell = forget_gate * cell + input_gate * torch.tanh(g_pre)  # (2.5)
            if self.peepholes:
                o_pre = o_pre + self.peep_o * cell
            squashed = torch.tanh(cell) if self.output_activation else cell
            hidden = torch.sigmoid(o_pre) * squashed  # (2.6)
            hiddens.append(hidden)
        return torch.stack(hiddens, dim=1), (hidden, cell)


@torch.no_grad()
def set_update_gate_bias(gru, value):
    """Make a GRU's update-gate bias start at ``value``, for every unit.

    In torch's packed order r, z, n the update gate is the second block of H rows. torch
    adds two biases, so the first gets ``value`` and the second zero. In torch's convention
    h_t = (1 - z) n_t + z h_{t-1}, so a positive value keeps more of the old state, the role
    the forget-gate bias plays in the LSTM.
    """
    if not isinstance(gru, nn.GRU):
        raise TypeError(f"set_update_gate_bias needs a torch.nn.GRU; got {type(gru).__name__}.")
    H = gru.hidden_size
    gru.bias_ih_l0[H:2 * H].fill_(value)
    gru.bias_hh_l0[H:2 * H].fill_(0.0)
