"""Tests for seqbook.checks: the graded checks pass the reference answers, and the
typical wrong answers fail with a message that names the mistake."""

import math

import numpy as np
import pytest

from seqbook import reference
from seqbook.checks import rnn as checks


def stub(*args, **kwargs):
    ...


def test_vanishing_horizon_stub_returning_none_names_the_case():
    # None is a right answer for sigma >= 1, so only the first finite case can catch it
    expected = r"\(0\.5, 0\.001\) returned None.*replace the `\.\.\.`"
    with pytest.raises(AssertionError, match=expected):
        checks.vanishing_horizon_public(stub)


def test_an_unknown_mistake_gets_the_generic_message():
    def slightly_off(x, hidden_prev, W_xh, W_hh, b_h):
        return reference.rnn_cell_forward(x, hidden_prev, W_xh, W_hh, b_h) + 1e-3

    with pytest.raises(AssertionError, match="off by up to 0.001"):
        checks.rnn_cell_forward_public(slightly_off)


# --- rnn_cell_forward -----------------------------------------------------------------


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def cell_sigmoid(x, hidden_prev, W_xh, W_hh, b_h):
    return _sigmoid(x @ W_xh.T + hidden_prev @ W_hh.T + b_h)


def cell_no_activation(x, hidden_prev, W_xh, W_hh, b_h):
    return x @ W_xh.T + hidden_prev @ W_hh.T + b_h


def cell_untransposed(x, hidden_prev, W_xh, W_hh, b_h):
    return np.tanh(x @ W_xh + hidden_prev @ W_hh + b_h)


def cell_no_bias(x, hidden_prev, W_xh, W_hh, b_h):
    return np.tanh(x @ W_xh.T + hidden_prev @ W_hh.T)


def cell_no_recurrence(x, hidden_prev, W_xh, W_hh, b_h):
    return np.tanh(x @ W_xh.T + b_h)


@pytest.mark.parametrize("student, message", [
    (cell_sigmoid, "sigmoid, not tanh"),
    (cell_no_activation, "not squashed"),
    (cell_no_bias, "bias b_h is missing"),
    (cell_no_recurrence, "recurrent term W_hh h_{t-1} is missing"),
])
def test_rnn_cell_forward_mistakes(student, message):
    with pytest.raises(AssertionError, match=message):
        checks.rnn_cell_forward_public(student)
    with pytest.raises(AssertionError):
        checks.rnn_cell_forward_hidden(student)


def test_rnn_cell_forward_shape_mismatch_mentions_transpose():
    with pytest.raises(AssertionError, match="raised ValueError") as caught:
        checks.rnn_cell_forward_public(cell_untransposed)
    assert "missing transpose" in str(caught.value)
    assert "x @ W_xh.T" in str(caught.value)


def test_rnn_cell_forward_untransposed_square_weights():
    rng = np.random.default_rng(0)
    x, hidden_prev, weights = checks._cell_case(rng, batch=3, input_size=5, hidden_size=5)
    assert checks._check_cell(reference.rnn_cell_forward, x, hidden_prev, weights, "sq") is None
    with pytest.raises(AssertionError, match="untransposed"):
        checks._check_cell(cell_untransposed, x, hidden_prev, weights, "square weights")


def test_w_hh_untransposed_is_named_as_such_whatever_the_shape_of_w_xh():
    """W_hh is square, so using it untransposed never raises: the check must name it, on
    the public cases (D != H) and the hidden ones alike, not report a difference."""
    def student(x, hidden_prev, W_xh, W_hh, b_h):
        return np.tanh(x @ W_xh.T + hidden_prev @ W_hh + b_h)

    for run in (checks.rnn_cell_forward_public, checks.rnn_cell_forward_hidden):
        with pytest.raises(AssertionError, match="W_hh is used untransposed") as caught:
            run(student)
        assert "off by up to" not in str(caught.value)


def test_rnn_cell_forward_hidden_catches_unbounded_output():
    # right on every small case, but never squashes large pre-activations
    def clipped_linear(x, hidden_prev, W_xh, W_hh, b_h):
        result = reference.rnn_cell_forward(x, hidden_prev, W_xh, W_hh, b_h)
        if np.abs(x).max() > 20:
            return x @ W_xh.T + hidden_prev @ W_hh.T + b_h
        return result

    checks.rnn_cell_forward_public(clipped_linear)
    with pytest.raises(AssertionError, match="left \\(-1, 1\\)"):
        checks.rnn_cell_forward_hidden(clipped_linear)


# --- rnn_forward ----------------------------------------------------------------------


def forward_last_only(xs, hidden0, W_xh, W_hh, b_h):
    return reference.rnn_forward(xs, hidden0, W_xh, W_hh, b_h)[:, -1]


def forward_time_major(xs, hidden0, W_xh, W_hh, b_h):
    hidden, hiddens = hidden0, []
    for t in range(xs.shape[1]):
        hidden = reference.rnn_cell_forward(xs[:, t], hidden, W_xh, W_hh, b_h)
        hiddens.append(hidden)
    return np.stack(hiddens)  # axis 0: (T, B, H)


def forward_state_not_carried(xs, hidden0, W_xh, W_hh, b_h):
    return np.stack([reference.rnn_cell_forward(xs[:, t], hidden0, W_xh, W_hh, b_h)
                     for t in range(xs.shape[1])], axis=1)


def forward_ignores_hidden0(xs, hidden0, W_xh, W_hh, b_h):
    return reference.rnn_forward(xs, np.zeros_like(hidden0), W_xh, W_hh, b_h)


@pytest.mark.parametrize("student, message", [
    (forward_last_only, "one hidden state. Return all of them"),
    (forward_time_major, "time first. The book is batch-first"),
    (forward_state_not_carried, "not carried from step to step"),
    (forward_ignores_hidden0, "hidden0 is ignored"),
])
def test_rnn_forward_mistakes(student, message):
    with pytest.raises(AssertionError, match=message):
        checks.rnn_forward_public(student)
    with pytest.raises(AssertionError):
        checks.rnn_forward_hidden(student)


# --- rnn_cell_backward ----------------------------------------------------------------


def _backward(d_hidden, x, hidden_prev, hidden, W_xh, W_hh, *, tanh_derivative=True,
              transpose=False, average=False):
    d_pre = d_hidden * (1 - hidden**2) if tanh_derivative else d_hidden
    batch = x.shape[0] if average else 1
    grads = {
        "x": d_pre @ W_xh,
        "hidden_prev": d_pre @ W_hh,
        "W_xh": (x.T @ d_pre if transpose else d_pre.T @ x) / batch,
        "W_hh": (hidden_prev.T @ d_pre if transpose else d_pre.T @ hidden_prev) / batch,
        "b_h": d_pre.sum(axis=0) / batch,
    }
    return grads


def backward_no_tanh_derivative(*args):
    return _backward(*args, tanh_derivative=False)


def backward_transposed(*args):
    return _backward(*args, transpose=True)


def backward_averaged(*args):
    return _backward(*args, average=True)


def backward_missing_key(*args):
    grads = reference.rnn_cell_backward(*args)
    del grads["b_h"]
    return grads


def test_the_backward_helper_is_right_when_unmodified():
    checks.rnn_cell_backward_public(_backward)
    checks.rnn_cell_backward_hidden(_backward)


@pytest.mark.parametrize("student, message", [
    (backward_no_tanh_derivative, r"forgot the tanh derivative \(1 - h_t\*\*2\)"),
    (backward_transposed, "the transpose of W_xh's shape"),
    (backward_averaged, "averaged over the batch"),
    (backward_missing_key, r"no entry for \['b_h'\]"),
])
def test_rnn_cell_backward_mistakes(student, message):
    with pytest.raises(AssertionError, match=message):
        checks.rnn_cell_backward_public(student)


def test_rnn_cell_backward_hidden_catches_mistakes_too():
    for student in (backward_no_tanh_derivative, backward_transposed, backward_averaged):
        with pytest.raises(AssertionError):
            checks.rnn_cell_backward_hidden(student)


# --- clip_gradient_norm ---------------------------------------------------------------


def _norm(grads):
    return math.sqrt(sum(float(np.sum(g**2)) for g in grads))


def clip_per_array(grads, max_norm):
    clipped = [g * min(1.0, max_norm / n) if (n := np.linalg.norm(g)) > 0 else g.copy()
               for g in grads]
    return clipped, _norm(grads)


def clip_returns_post_clip_norm(grads, max_norm):
    clipped, _ = reference.clip_gradient_norm(grads, max_norm)
    return clipped, _norm(clipped)


def clip_in_place(grads, max_norm):
    total = _norm(grads)
    if total > max_norm:
        for g in grads:
            g *= max_norm / total
    return grads, total


def clip_always(grads, max_norm):
    total = _norm(grads)
    return [g * max_norm / total for g in grads], total


@pytest.mark.parametrize("student, message", [
    (clip_per_array, "each array was clipped on its own"),
    (clip_returns_post_clip_norm, "total_norm is the norm after clipping"),
    (clip_in_place, "changed the arrays it was given"),
    (clip_always, "only clip when total_norm > max_norm"),
])
def test_clip_gradient_norm_mistakes(student, message):
    with pytest.raises(AssertionError, match=message):
        checks.clip_gradient_norm_public(student)


def test_clip_gradient_norm_hidden_catches_division_by_zero():
    def clip_divides_always(grads, max_norm):
        total = _norm(grads)
        factor = min(1.0, max_norm / total)  # ZeroDivisionError on all-zero gradients
        return [g * factor for g in grads], total

    checks.clip_gradient_norm_public(clip_divides_always)
    with pytest.raises(AssertionError, match="raised ZeroDivisionError"):
        checks.clip_gradient_norm_hidden(clip_divides_always)


# --- vanishing_horizon ----------------------------------------------------------------


def horizon_one_early(sigma, tolerance):
    if sigma >= 1:
        return None
    return math.floor(math.log(tolerance) / math.log(sigma))


def horizon_one_late(sigma, tolerance):
    if sigma >= 1:
        return None
    return math.floor(math.log(tolerance) / math.log(sigma)) + 2


def horizon_never_none(sigma, tolerance):
    return math.floor(math.log(tolerance) / math.log(sigma)) + 1


def horizon_not_whole(sigma, tolerance):
    if sigma >= 1:
        return None
    return math.log(tolerance) / math.log(sigma)


def horizon_none_only_above_one(sigma, tolerance):
    if sigma > 1:
        return None
    k = 1
    while sigma**k >= tolerance:  # loops for ever at sigma == 1, so give up
        k += 1
        if k > 10_000:
            return k
    return k


@pytest.mark.parametrize("student, message", [
    (horizon_one_early, "one step too early"),
    (horizon_one_late, "too late"),
    (horizon_never_none, "should be None: with sigma >= 1"),
    (horizon_not_whole, "not a whole number of steps"),
])
def test_vanishing_horizon_mistakes(student, message):
    with pytest.raises(AssertionError, match=message):
        checks.vanishing_horizon_public(student)


def test_vanishing_horizon_exact_powers_and_tolerances_above_one():
    def loop(sigma, tolerance):
        if sigma >= 1:
            return None
        k = 1
        while sigma**k >= tolerance:
            k += 1
        return k

    checks.vanishing_horizon_hidden(loop)  # includes (0.9, 0.81), where 0.9**2 == 0.81

    def zero_steps(sigma, tolerance):
        return None if sigma >= 1 else max(0, loop(sigma, tolerance) - (tolerance > 1))

    with pytest.raises(AssertionError, match="k >= 1"):
        checks.vanishing_horizon_hidden(zero_steps)


def test_vanishing_horizon_hidden_checks_sigma_equal_to_one():
    checks.vanishing_horizon_public(horizon_none_only_above_one)
    with pytest.raises(AssertionError, match=r"vanishing_horizon\(1\.0, 0\.001\) should be None"):
        checks.vanishing_horizon_hidden(horizon_none_only_above_one)


NOTEBOOK = '''
import numpy as np

def rnn_cell_forward(x, hidden_prev, W_xh, W_hh, b_h):
    return 1 / (1 + np.exp(-(x @ W_xh.T + hidden_prev @ W_hh.T + b_h)))  # sigmoid

def rnn_forward(xs, hidden0, W_xh, W_hh, b_h):
    hidden, hiddens = hidden0, []
    for t in range(xs.shape[1]):
        hidden = rnn_cell_forward(xs[:, t], hidden, W_xh, W_hh, b_h)
        hiddens.append(hidden)
    return np.stack(hiddens, axis=1)

def rnn_forward_last_only(xs, hidden0, W_xh, W_hh, b_h):
    return rnn_forward(xs, hidden0, W_xh, W_hh, b_h)[:, -1]
'''


def test_an_exercise_failing_only_because_of_the_students_earlier_function_says_so():
    """In the notebook, rnn_forward calls the student's own rnn_cell_forward."""
    namespace = {}
    exec(NOTEBOOK, namespace)
    broken_cell = namespace["rnn_cell_forward"]
    for run in (checks.rnn_forward_public, checks.rnn_forward_hidden):
        with pytest.raises(AssertionError, match="rnn_forward itself is right, but it calls "
                           "your rnn_cell_forward, which is not"):
            run(namespace["rnn_forward"])
    assert namespace["rnn_cell_forward"] is broken_cell  # the notebook is left as it was
    with pytest.raises(AssertionError, match="one hidden state"):  # its own mistake first
        checks.rnn_forward_public(namespace["rnn_forward_last_only"])


# --- char_rnn_training_step -----------------------------------------------------------

import torch  # noqa: E402


def _loss(model, inputs, targets, **kwargs):
    logits, _ = model(inputs)
    B, T, V = logits.shape
    return torch.nn.functional.cross_entropy(logits.reshape(B * T, V), targets.reshape(B * T),
                                             **kwargs)


def step_no_zero_grad(model, optimizer, inputs, targets, max_norm):
    loss = _loss(model, inputs, targets, ignore_index=-1)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss.item()


def step_no_clip(model, optimizer, inputs, targets, max_norm):
    loss = _loss(model, inputs, targets, ignore_index=-1)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def step_clip_after_step(model, optimizer, inputs, targets, max_norm):
    loss = _loss(model, inputs, targets, ignore_index=-1)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    return loss.item()


def step_clip_each(model, optimizer, inputs, targets, max_norm):
    loss = _loss(model, inputs, targets, ignore_index=-1)
    optimizer.zero_grad()
    loss.backward()
    for parameter in model.parameters():
        torch.nn.utils.clip_grad_norm_(parameter, max_norm)
    optimizer.step()
    return loss.item()


def step_no_step(model, optimizer, inputs, targets, max_norm):
    loss = _loss(model, inputs, targets, ignore_index=-1)
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    return loss.item()


def step_zero_grad_late(model, optimizer, inputs, targets, max_norm):
    loss = _loss(model, inputs, targets, ignore_index=-1)
    loss.backward()
    optimizer.zero_grad()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss.item()


def _full_step(loss, model, optimizer, max_norm):
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss.item()


def step_padding_as_symbol(model, optimizer, inputs, targets, max_norm):
    loss = _loss(model, inputs, targets.clamp(min=0))
    return _full_step(loss, model, optimizer, max_norm)


def step_padding_in_mean(model, optimizer, inputs, targets, max_norm):
    loss = _loss(model, inputs, targets, ignore_index=-1, reduction="sum") / targets.numel()
    return _full_step(loss, model, optimizer, max_norm)


def step_inputs_as_targets(model, optimizer, inputs, targets, max_norm):
    loss = _loss(model, inputs, inputs, ignore_index=-1)
    return _full_step(loss, model, optimizer, max_norm)


def step_shifted_twice(model, optimizer, inputs, targets, max_norm):
    logits, _ = model(inputs)
    V = logits.shape[-1]
    loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, V),
                                             targets[:, 1:].reshape(-1), ignore_index=-1)
    return _full_step(loss, model, optimizer, max_norm)


def step_summed(model, optimizer, inputs, targets, max_norm):
    loss = _loss(model, inputs, targets, ignore_index=-1, reduction="sum")
    return _full_step(loss, model, optimizer, max_norm)


def step_no_ignore_index(model, optimizer, inputs, targets, max_norm):
    loss = _loss(model, inputs, targets)  # -1 is out of range: cross_entropy raises
    return _full_step(loss, model, optimizer, max_norm)


def step_returns_tensor(model, optimizer, inputs, targets, max_norm):
    loss = _loss(model, inputs, targets, ignore_index=-1)
    _full_step(loss, model, optimizer, max_norm)
    return loss


def step_logits_not_unpacked(model, optimizer, inputs, targets, max_norm):
    logits = model(inputs)
    return torch.nn.functional.cross_entropy(logits.reshape(-1, 7), targets.reshape(-1))


STEP_MISTAKES = [
    (step_no_zero_grad, r"call optimizer\.zero_grad\(\) before loss\.backward\(\)"),
    (step_no_clip, "the gradient was not clipped"),
    (step_clip_after_step, r"clipped after optimizer\.step\(\)"),
    (step_clip_each, "clipped on its own"),
    (step_no_step, "the parameters did not move"),
    (step_zero_grad_late, "the parameters did not move"),
    (step_padding_as_symbol, "the loss counts the padding"),
    (step_padding_in_mean, "averaged over every position, padding included"),
    (step_inputs_as_targets, "compares the logits with the inputs"),
    (step_shifted_twice, "shifted once more"),
    (step_summed, "is a sum over the positions"),
    (step_no_ignore_index, "ignore_index=-1"),
    (step_returns_tensor, r"returned a tensor.*loss\.item\(\)"),
    (step_logits_not_unpacked, r"a pair, \(logits, state\)"),
]


@pytest.mark.parametrize("student, message", STEP_MISTAKES)
def test_training_step_mistakes_are_named(student, message):
    with pytest.raises(AssertionError, match=message):
        checks.char_rnn_training_step_public(student)


@pytest.mark.parametrize("student, message", STEP_MISTAKES[:2] + STEP_MISTAKES[6:10])
def test_training_step_mistakes_fail_the_hidden_check_too(student, message):
    with pytest.raises(AssertionError):
        checks.char_rnn_training_step_hidden(student)


def test_training_step_with_a_new_optimizer_of_its_own_fails():
    def own_optimizer(model, optimizer, inputs, targets, max_norm):
        return _full_step(_loss(model, inputs, targets, ignore_index=-1), model,
                          torch.optim.Adam(model.parameters()), max_norm)

    with pytest.raises(AssertionError, match="parameters after the step"):
        checks.char_rnn_training_step_public(own_optimizer)


def test_training_step_check_is_independent_of_the_book_function():
    """The expected step is computed from its own formulas: it equals what the book's
    function does to a copy, for SGD and for Adam after a first step."""
    import copy

    from seqbook import models

    for optimizer, warm in [("sgd", False), ("adam", True)]:
        model, optim, inputs, targets = checks._step_case(
            np.random.default_rng(5), 3, 6, 8, 4, optimizer=optimizer, warm=warm)
        loss, after, left = checks._expected_step(model, optim, inputs, targets, 0.1)
        twin, twin_optim = copy.deepcopy((model, optim))
        assert models.char_rnn_training_step(twin, twin_optim, inputs, targets, 0.1) == \
            pytest.approx(loss, rel=1e-12)
        for mine, theirs, grad in zip(twin.parameters(), after, left):
            assert torch.allclose(mine, theirs, rtol=1e-10, atol=1e-12)
            assert torch.allclose(mine.grad, grad, rtol=1e-10, atol=1e-12)
