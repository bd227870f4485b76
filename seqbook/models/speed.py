"""Chapter 3: is the GRU faster than the LSTM? Count the operations, then measure.

The usual claim: the GRU has three weight blocks to the LSTM's four, so it is about a
quarter cheaper. :func:`flops_per_step` counts the arithmetic exactly; the timing functions
measure it, fairly (warm-up runs, repeats, the same inputs and sizes, the cells measured in
turn so that a busy machine slows them all alike). Counts can be asserted on any machine;
wall-clock times cannot, so the book prints them and asserts only counts and ratios.

Why the counts and the clock disagree for torch on a CPU: ``torch.nn.LSTM`` hands the whole
sequence to one fused oneDNN kernel, while ``torch.nn.GRU`` runs torch's generic
implementation, several small operator calls per time step, each with a fixed cost that
at hidden size 32 outweighs the arithmetic. :func:`operator_calls` counts those calls.
"""

import collections
import contextlib
import ctypes
import glob
import os
import time
import warnings

import numpy as np
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from seqbook import reference
from seqbook.models.recurrent import RECURRENT

CELLS = ("rnn", "lstm", "gru")
BLOCKS = {"rnn": 1, "lstm": 4, "gru": 3}  # weight blocks: tanh layer, i f g o, r z n

# Element-wise operations per hidden unit in one step of the book's cells (and torch's):
# rnn:  add the two products, add b, tanh                                           = 3
# lstm: add the two products and b (2 x 4), 3 sigmoids, 1 tanh, c = f*c + i*g (3),
#       tanh(c), o * tanh(c)                                                        = 17
# gru:  add b_x and b_h (2 x 3), x_r + h_r and x_z + h_z (2), 2 sigmoids, r * h_n,
#       x_n + (.), tanh, 1 - z, (1 - z) * n, z * h, the final add                   = 17
ELEMENTWISE_PER_UNIT = {"rnn": 3, "lstm": 17, "gru": 17}
# Of those, the sigmoids and tanhs ("squashings"), each far dearer than an add:
# rnn: 1 tanh; lstm: 3 sigmoids and 2 tanhs; gru: 2 sigmoids and 1 tanh.
SQUASHINGS_PER_UNIT = {"rnn": 1, "lstm": 5, "gru": 3}


def flops_per_step(cell, input_size, hidden_size, batch=1):
    """Floating-point operations of one forward step of a ``"rnn"``, ``"lstm"`` or ``"gru"``.

    Counting rule: a multiply-add counts as 2 FLOPs, so the product of a (B, n) matrix with
    an (n, m) one costs 2 B n m; every element-wise add, subtract, multiply, sigmoid or tanh
    counts as 1 FLOP per element. With G weight blocks (1, 4 or 3) the two products cost
    2 B G H (D + H). A sigmoid or tanh really takes as long as tens of adds, so
    ``"squashings"`` counts them apart (they are also in ``"elementwise"``).

    Returns:
        A dict: ``"matrix"`` (the two matrix products), ``"elementwise"``, ``"total"``
        (their sum) and ``"squashings"`` (sigmoid and tanh evaluations).
    """
    if cell not in BLOCKS:
        raise ValueError(f"cell must be one of {CELLS}; got {cell!r}.")
    B, D, H = batch, input_size, hidden_size
    matrix = 2 * B * BLOCKS[cell] * H * (D + H)  # x @ W_x.T and h @ W_h.T
    elementwise = ELEMENTWISE_PER_UNIT[cell] * B * H
    return {"matrix": matrix, "elementwise": elementwise, "total": matrix + elementwise,
            "squashings": SQUASHINGS_PER_UNIT[cell] * B * H}


def flops_table(input_size, hidden_size, batch=1):
    """:func:`flops_per_step` for the three cells, with each count's ratio to the LSTM's.

    Returns:
        A dict ``cell -> {"matrix", "elementwise", "total", "squashings", "matrix_vs_lstm",
        "total_vs_lstm", "squashings_vs_lstm"}``. For the GRU, ``matrix_vs_lstm`` is
        exactly 3/4 and ``squashings_vs_lstm`` exactly 3/5, at every size.
    """
    counts = {cell: flops_per_step(cell, input_size, hidden_size, batch) for cell in CELLS}
    lstm = dict(counts["lstm"])
    for count in counts.values():
        for key in ("matrix", "total", "squashings"):
            count[f"{key}_vs_lstm"] = count[key] / lstm[key]
    return counts


# ---------------------------------------------------------------------------------------
# Measuring: warm-up, repeats, median
# ---------------------------------------------------------------------------------------

def summarize(seconds):
    """Median, minimum and all the times of a list of measurements, in seconds."""
    return {"median": float(np.median(seconds)), "min": float(np.min(seconds)),
            "times": list(seconds)}


def time_call(fn, repeats=7, warmup=2):
    """Time ``fn()``: ``warmup`` untimed calls (caches, lazy set-up), then ``repeats`` timed.

    Returns:
        ``{"median", "min", "times"}`` in seconds per call. The median resists the odd
        slow call when another program grabs the core; the minimum is the machine's best.
    """
    for _ in range(warmup):
        fn()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return summarize(seconds)


def time_in_turn(fns, repeats=7, warmup=2):
    """Time several functions fairly: each round calls every one of them once, in turn.

    A machine that gets busier half-way through then slows all of them alike, instead of
    whichever happened to be measured last.

    Args:
        fns: a dict ``name -> function of no arguments``.

    Returns:
        A dict ``name -> {"median", "min", "times"}`` in seconds per call.
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    seconds = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            seconds[name].append(time.perf_counter() - start)
    return {name: summarize(values) for name, values in seconds.items()}


# ---------------------------------------------------------------------------------------
# The book's numpy cells
# ---------------------------------------------------------------------------------------

def _openblas_thread_setters():
    """The ``(get, set)`` thread-count functions of the OpenBLAS that numpy's wheel ships,
    or ``None`` when numpy was built on another BLAS (Accelerate, MKL, ...)."""
    libs = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in glob.glob(os.path.join(libs, "*openblas*")):
        library = ctypes.CDLL(path)  # already loaded by numpy: the same library
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", "_64_", ""):
                getter = getattr(library, f"{prefix}_get_num_threads{suffix}", None)
                setter = getattr(library, f"{prefix}_set_num_threads{suffix}", None)
                if getter is not None and setter is not None:
                    return getter, setter
    return None


@contextlib.contextmanager
def blas_threads(count):
    """Run numpy's matrix products on ``count`` threads inside a ``with`` block.

    ``torch.set_num_threads`` does not reach numpy: its products run in OpenBLAS, which
    starts one thread per core. On a busy machine those threads wait for each other (on two
    loaded cores, one RNN step at B = 64, H = 256 took 22 ms on two threads and 1.1 ms on
    one), so the numpy cells are timed on one thread, like torch. Yields ``True`` if the
    thread count could be set, ``False`` if numpy uses a BLAS this function does not know
    (then nothing changes).
    """
    setters = _openblas_thread_setters()
    if setters is None:
        yield False
        return
    get_threads, set_threads = setters
    before = get_threads()
    set_threads(count)
    try:
        yield True
    finally:
        set_threads(before)


def numpy_step_functions(batch=64, input_size=2, hidden_size=32, steps=10, seed=0):
    """One function per cell that runs ``steps`` steps of the book's numpy cell.

    Every cell gets the same input x (B, D) and starting state h (B, H) (and c for the
    LSTM), float64, and feeds its new state back in, as in a real sequence.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, input_size))  # (B, D)
    h0 = np.tanh(rng.normal(size=(batch, hidden_size)))  # (B, H)
    rnn = reference.random_rnn_weights(input_size, hidden_size, rng)
    lstm = reference.random_lstm_weights(input_size, hidden_size, rng)
    gru = reference.random_gru_weights(input_size, hidden_size, rng)

    def run_rnn():
        hidden = h0
        for _ in range(steps):
            hidden = reference.rnn_cell_forward(x, hidden, **rnn)

    def run_lstm():
        hidden, cell = h0, h0
        for _ in range(steps):
            hidden, cell = reference.lstm_cell_forward(x, hidden, cell, **lstm)

    def run_gru():
        hidden = h0
        for _ in range(steps):
            hidden = reference.gru_cell_forward(x, hidden, **gru)

    return {"rnn": run_rnn, "lstm": run_lstm, "gru": run_gru}


def time_numpy_cells(batch=64, input_size=2, hidden_size=32, steps=10, repeats=7, warmup=2,
                     seed=0):
    """Seconds per step of the book's numpy cells, measured in turn, on one BLAS thread.

    Returns:
        A dict ``cell -> {"median", "min", "times"}``, every time divided by ``steps``.
    """
    fns = numpy_step_functions(batch, input_size, hidden_size, steps, seed)
    with blas_threads(1):
        timings = time_in_turn(fns, repeats, warmup)
    return {cell: summarize([t / steps for t in timing["times"]])
            for cell, timing in timings.items()}


def gru_to_lstm_ratio(timings, statistic="median"):
    """The GRU's time divided by the LSTM's, from a dict of timings."""
    return timings["gru"][statistic] / timings["lstm"][statistic]


# ---------------------------------------------------------------------------------------
# torch's modules
# ---------------------------------------------------------------------------------------

TORCH_MODULES = RECURRENT  # "rnn", "lstm", "gru" -> torch's modules


def torch_sequence_functions(batch=64, length=100, input_size=2, hidden_size=32,
                             backward=False, seed=0):
    """One function per torch module that reads a whole (B, T, D) sequence.

    With ``backward=False`` the forward pass runs under ``torch.no_grad()``; with
    ``backward=True`` it is forward plus backward of ``hiddens.sum()``, the work of one
    training step without the optimiser. All modules read the same float32 inputs.
    """
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(batch, length, input_size, generator=generator)  # (B, T, D)
    torch.manual_seed(seed)
    modules = {cell: TORCH_MODULES[cell](input_size, hidden_size, batch_first=True)
               for cell in CELLS}

    def make(module):
        def forward():
            with torch.no_grad():
                module(inputs)

        def forward_backward():
            hiddens, _ = module(inputs)  # (B, T, H)
            hiddens.sum().backward()

        return forward_backward if backward else forward

    return {cell: make(module) for cell, module in modules.items()}


@contextlib.contextmanager
def onednn(enabled):
    """Switch torch's oneDNN (mkldnn) CPU kernels on or off inside a ``with`` block.

    torch warns about TF32 on Intel GPUs whenever the flags change; that warning says
    nothing about this CPU, so it is silenced here.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="TF32 acceleration", category=UserWarning)
        with torch.backends.mkldnn.flags(enabled=enabled):
            yield


def time_torch_modules(batch=64, length=100, input_size=2, hidden_size=32, backward=False,
                       use_onednn=True, repeats=5, warmup=1, seed=0):
    """Seconds per sequence of ``torch.nn.RNN``, ``LSTM`` and ``GRU``, measured in turn.

    ``use_onednn=False`` switches off the oneDNN kernels, so that every module runs torch's
    generic step-by-step implementation.

    Returns:
        A dict ``cell -> {"median", "min", "times"}``.
    """
    fns = torch_sequence_functions(batch, length, input_size, hidden_size, backward, seed)
    with onednn(use_onednn):
        return time_in_turn(fns, repeats, warmup)


# ---------------------------------------------------------------------------------------
# Why: count the operators each module sends to torch's kernels
# ---------------------------------------------------------------------------------------

class OperatorCounter(TorchDispatchMode):
    """Inside ``with OperatorCounter() as counter:``, count every operator call that
    reaches torch's kernels (after autograd, so the backward pass's calls count too).

    ``counter.calls`` is a ``collections.Counter`` of names such as ``"mm"`` or
    ``"mkldnn_rnn_layer"``. Unlike a timing, the count is the same on every run and every
    CPU of a given torch build.
    """

    def __init__(self):
        super().__init__()
        self.calls = collections.Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.calls[func.overloadpacket.__name__] += 1
        return func(*args, **(kwargs or {}))


def operator_calls(batch=64, length=100, input_size=2, hidden_size=32, backward=True,
                   use_onednn=True):
    """The operator calls each torch module makes to read one sequence (and backpropagate).

    Returns:
        A dict ``cell -> collections.Counter`` of operator names. On a CPU build with
        oneDNN, ``nn.LSTM`` is a handful of calls around one ``mkldnn_rnn_layer`` (and one
        ``mkldnn_rnn_layer_backward``) for the whole sequence; ``nn.GRU`` and ``nn.RNN``
        make several calls per time step, each paying torch's per-call overhead.
    """
    fns = torch_sequence_functions(batch, length, input_size, hidden_size, backward)
    counts = {}
    with onednn(use_onednn):
        for cell, fn in fns.items():
            with OperatorCounter() as counter:
                fn()
            counts[cell] = counter.calls
    return counts


def seconds_per_tiny_call(calls=1000, repeats=5):
    """The fixed cost of one torch operator call: the median time of ``a + b`` on two
    one-element tensors, where the arithmetic is nothing and the dispatching is all.

    Multiplied by the number of calls a module makes (:func:`operator_calls`), it estimates
    the time a module spends on bookkeeping rather than arithmetic.
    """
    a, b = torch.zeros(1), torch.ones(1)

    def many_adds():
        for _ in range(calls):
            torch.add(a, b)

    return time_call(many_adds, repeats=repeats, warmup=1)["median"] / calls


# Operators that only re-label memory (views, transposes, detaching from autograd's graph):
# they cost a dispatch each but compute nothing, so the summary lists the others first.
VIEW_OPERATORS = {"detach", "t", "transpose", "transpose_", "view", "_unsafe_view", "select",
                  "slice", "narrow", "unbind", "unsafe_split", "split", "expand", "as_strided"}


def operator_summary(counts, top=4):
    """One line per module: all its operator calls, then its most frequent computing ones."""
    lines = []
    for cell, calls in counts.items():
        computing = collections.Counter(
            {name: count for name, count in calls.items() if name not in VIEW_OPERATORS})
        common = ", ".join(f"{name} x{count}" for name, count in computing.most_common(top))
        lines.append(f"nn.{cell.upper():4s} {sum(calls.values()):5d} calls; computing: {common}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# A test of the explanation: one sequence, where the fixed cost per call is nearly all
# ---------------------------------------------------------------------------------------

def time_fused_and_generic(batch=1, length=100, input_size=2, hidden_size=32, repeats=9,
                           warmup=2, seed=0):
    """Forward and backward times of ``torch.nn.LSTM`` on oneDNN, of the same LSTM with
    oneDNN switched off, and of ``torch.nn.GRU``, measured in turn.

    With a batch of one the arithmetic is tiny, so a module's time is mostly the fixed cost
    of its operator calls: one fused oneDNN call each way for the LSTM, thousands of generic
    calls for the GRU and for the LSTM without oneDNN (:func:`operator_calls`). The three
    take turns in the same rounds, so a busy machine slows them alike; the fastest round of
    each (``"min"``) is the one least disturbed.

    Returns:
        A dict with the keys ``"lstm"``, ``"lstm_generic"`` (oneDNN off) and ``"gru"``, each
        ``{"median", "min", "times"}`` in seconds per sequence.
    """
    fns = torch_sequence_functions(batch, length, input_size, hidden_size, backward=True,
                                   seed=seed)

    def generic_lstm():
        with onednn(False):
            fns["lstm"]()

    return time_in_turn({"lstm": fns["lstm"], "lstm_generic": generic_lstm, "gru": fns["gru"]},
                        repeats, warmup)
