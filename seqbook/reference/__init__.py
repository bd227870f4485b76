"""The book's equations in numpy: the canonical answer to every exercise.

Each chapter's equations live in their own module, and every public name is also
available here, so a lab reads ``reference.rnn_forward(...)``:

- ``rnn``: the tanh RNN cell, its unrolling and its backward step (Chapter 1);
- ``deep``: stacked and bidirectional tanh RNNs in torch's layouts, and the reader of a
  multi-layer, two-direction torch RNN, GRU or LSTM's weights;
- ``gradients``: numerical gradients, clipping, gradients through time (Chapter 1);
- ``lstm``: the LSTM, its gates, its backward step and the peephole variant (Chapter 2);
- ``gru``: the GRU with both reset placements, and the three cells' parameter counts
  (Chapter 3);
- ``attention``: Bahdanau's additive attention, Luong's dot and general scores,
  greedy decoding and beam search (Chapter 4);
- ``activations``: the sigmoid the gated cells share.

This layer imports numpy only: no torch, no plotting, nothing of the layers above it.
"""

from seqbook.reference.activations import sigmoid
from seqbook.reference.attention import (
    PARAM_NAMES,
    additive_attention,
    additive_scores,
    attend,
    attention_decoder_step,
    beam_search,
    dot_product_attention,
    dot_product_scores,
    general_attention,
    general_scores,
    greedy_decode,
    masked_softmax,
    random_attention_params,
    scaled_dot_product_scores,
)
from seqbook.reference.deep import (
    bidirectional_rnn_forward,
    check_layer_input,
    deep_rnn_forward,
    deep_weights_from_torch,
    direction_weights,
    reverse_rnn_forward,
    stacked_rnn_forward,
    torch_parameter_meaning,
)
from seqbook.reference.gradients import (
    backpropagate_through_time,
    clip_gradient_norm,
    gradient_demo_draws,
    gradient_norm_by_lag,
    numerical_gradient,
    relative_error,
    vanishing_horizon,
)
from seqbook.reference.gru import (
    GRU_GATE_ORDER,
    gru_cell_forward,
    gru_cell_forward_original,
    gru_forward,
    gru_forward_trace,
    gru_gates,
    gru_parameter_count,
    gru_unit_trajectory,
    gru_weights_from_torch,
    parameter_counts,
    random_gru_weights,
)
from seqbook.reference.lstm import (
    LSTM_GATE_ORDER,
    cell_after_steps,
    lstm_cell_backward,
    lstm_cell_forward,
    lstm_forward,
    lstm_forward_trace,
    lstm_gates,
    lstm_parameter_count,
    lstm_weights_from_torch,
    peephole_lstm_cell_forward,
    random_lstm_weights,
)
from seqbook.reference.rnn import (
    random_orthogonal,
    random_rnn_weights,
    repeated_multiply,
    rnn_cell_backward,
    rnn_cell_forward,
    rnn_forward,
    rnn_parameter_count,
    rnn_weights_from_torch,
)
