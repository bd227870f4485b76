"""Grading with otter-grader: the instructor notebook scores full marks, the untouched
student notebook scores zero without an error, and a typical wrong answer to each
exercise loses that exercise's points with a message that names the mistake."""

import hashlib
import json
import pathlib
import shutil
import subprocess
import sys

import nbformat
import pytest

from seqbook.course import grade, lessons
from tests.conftest import CHAPTERS, ROOT

# One typical wrong answer per exercise, and words its feedback must contain.
WRONG_ANSWERS = {
    "01_rnn": {
        "rnn_cell_forward": ('''
def rnn_cell_forward(x, hidden_prev, W_xh, W_hh, b_h):
    pre_activation = x @ W_xh.T + hidden_prev @ W_hh.T + b_h
    return 1 / (1 + np.exp(-pre_activation))  # sigmoid where tanh belongs
''', "sigmoid, not tanh"),
        "rnn_forward": ('''
def rnn_forward(xs, hidden0, W_xh, W_hh, b_h):
    hidden = hidden0
    for t in range(xs.shape[1]):
        hidden = reference.rnn_cell_forward(xs[:, t], hidden, W_xh, W_hh, b_h)
    return hidden  # only the last state
''', "one hidden state"),
        "rnn_cell_backward": ('''
def rnn_cell_backward(d_hidden, x, hidden_prev, hidden, W_xh, W_hh):
    d_pre = d_hidden  # forgot the tanh derivative
    return {"x": d_pre @ W_xh, "hidden_prev": d_pre @ W_hh, "W_xh": d_pre.T @ x,
            "W_hh": d_pre.T @ hidden_prev, "b_h": d_pre.sum(axis=0)}
''', "tanh derivative"),
        "clip_gradient_norm": ('''
def clip_gradient_norm(grads, max_norm):
    total_norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    clipped = [g * min(1.0, max_norm / np.sqrt(np.sum(g**2))) for g in grads]  # per array
    return clipped, total_norm
''', "clipped on its own"),
        "vanishing_horizon": ('''
def vanishing_horizon(largest_singular_value, tolerance):
    import math
    if largest_singular_value >= 1:
        return None
    return math.floor(math.log(tolerance) / math.log(largest_singular_value))  # one short
''', "one step too early"),
        "char_rnn_training_step": ('''
def char_rnn_training_step(model, optimizer, inputs, targets, max_norm):
    import torch
    logits, _ = model(inputs)
    B, T, V = logits.shape
    loss = torch.nn.functional.cross_entropy(
        logits.reshape(B * T, V), targets.reshape(B * T), ignore_index=-1)
    loss.backward()  # no zero_grad: the earlier batch's gradients add up
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss.item()
''', "optimizer.zero_grad()"),
    },
    "02_lstm": {
        "lstm_cell_forward": ('''
def lstm_cell_forward(x, hidden_prev, cell_prev, W_x, W_h, b):
    pre = x @ W_x.T + hidden_prev @ W_h.T + b
    f_pre, i_pre, g_pre, o_pre = np.split(pre, 4, axis=1)  # f first: not torch's order
    cell = reference.sigmoid(f_pre) * cell_prev + reference.sigmoid(i_pre) * np.tanh(g_pre)
    return reference.sigmoid(o_pre) * np.tanh(cell), cell
''', "torch packs them in the order i, f, g, o"),
        "cell_after_steps": ('''
def cell_after_steps(cell0, forget_gate, input_gate, candidate, steps):
    return cell0 + steps * input_gate * candidate  # the forget gate left out
''', "forget gate is ignored"),
        "lstm_forward": ('''
def lstm_forward(xs, hidden0, cell0, W_x, W_h, b):
    hiddens, cells_ = [], []
    for t in range(xs.shape[1]):
        hidden, cell = reference.lstm_cell_forward(xs[:, t], hidden0, cell0, W_x, W_h, b)
        hiddens.append(hidden)  # every step starts again from hidden0 and cell0
        cells_.append(cell)
    return np.stack(hiddens, axis=1), np.stack(cells_, axis=1)
''', "state is not carried"),
        "lstm_cell_backward": ('''
def lstm_cell_backward(d_hidden, d_cell, x, hidden_prev, cell_prev, W_x, W_h, b):
    i, f, g, o = reference.lstm_gates(x, hidden_prev, W_x, W_h, b)
    cell = f * cell_prev + i * g
    d_cell = d_cell + d_hidden * o  # tanh's derivative left out of the route through h_t
    d_pre = np.concatenate([d_cell * g * i * (1 - i), d_cell * cell_prev * f * (1 - f),
                            d_cell * i * (1 - g**2), d_hidden * np.tanh(cell) * o * (1 - o)],
                           axis=1)
    return {"x": d_pre @ W_x, "hidden_prev": d_pre @ W_h, "cell_prev": d_cell * f,
            "W_x": d_pre.T @ x, "W_h": d_pre.T @ hidden_prev, "b": d_pre.sum(axis=0)}
''', "lacks tanh's derivative"),
        "peephole_lstm_cell_forward": ('''
def peephole_lstm_cell_forward(x, hidden_prev, cell_prev, W_x, W_h, b, peep_i, peep_f, peep_o):
    i_pre, f_pre, g_pre, o_pre = np.split(x @ W_x.T + hidden_prev @ W_h.T + b, 4, axis=1)
    input_gate = np.tanh(i_pre + peep_i * cell_prev)  # tanh for the gates
    forget_gate = np.tanh(f_pre + peep_f * cell_prev)
    cell = forget_gate * cell_prev + input_gate * np.tanh(g_pre)
    return np.tanh(o_pre + peep_o * cell) * np.tanh(cell), cell
''', "gates match tanh, not sigmoid"),
    },
    "03_gru": {
        "gru_cell_forward": ('''
def gru_cell_forward(x, hidden_prev, W_x, W_h, b_x, b_h):
    x_r, x_z, x_n = np.split(x @ W_x.T + b_x, 3, axis=1)
    W_hr, W_hz, W_hn = np.split(W_h, 3, axis=0)
    b_hr, b_hz, b_hn = np.split(b_h, 3)
    reset_gate = reference.sigmoid(x_r + hidden_prev @ W_hr.T + b_hr)
    update_gate = reference.sigmoid(x_z + hidden_prev @ W_hz.T + b_hz)
    candidate = np.tanh(x_n + (reset_gate * hidden_prev) @ W_hn.T + b_hn)  # reset first
    return (1 - update_gate) * candidate + update_gate * hidden_prev
''', "reset gate is applied before the matrix product"),
        "parameter_counts": ('''
def parameter_counts(input_size, hidden_size):
    one_block = hidden_size * input_size + hidden_size * hidden_size + hidden_size
    return {"rnn": one_block, "gru": 3 * one_block, "lstm": 4 * one_block}  # one bias
''', "TWO bias vectors per block"),
        "last_valid_step": ('''
def last_valid_step(hiddens, lengths):
    return hiddens[:, -1]  # the last column, padding for the shorter sentences
''', "padding step"),
        "masked_mean": ('''
def masked_mean(hiddens, mask):
    return hiddens.mean(axis=1)  # the padding is averaged in
''', "padding included"),
    },
    "04a_seq2seq": {
        "greedy_decode": ('''
def greedy_decode(decoder_step, state, sos_id, eos_id, max_length, pad_id=0):
    tokens = np.full(np.shape(state)[0], sos_id)
    produced = []
    for _ in range(max_length):  # never stops at EOS
        logits, state = decoder_step(tokens, state)
        tokens = np.asarray(logits).argmax(axis=1)
        produced.append(tokens)
    return np.stack(produced, axis=1)
''', "EOS"),
        "sequence_loss": ('''
import torch
from torch import nn


def sequence_loss(model, src_ids, src_lengths, tgt_ids, tgt_lengths):
    logits, _ = model(src_ids, src_lengths, tgt_ids)  # the decoder reads the answer
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                       tgt_ids.reshape(-1), ignore_index=0)
''', "not shifted"),
        "seq2seq_training_step": ('''
from torch import nn


def seq2seq_training_step(model, optimizer, batch, max_norm):
    loss = sequence_loss(model, *batch)
    loss.backward()  # no zero_grad: the old gradients add up
    nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss.item()
''', "zero_grad"),
        "beam_search": ('''
import numpy as np


def beam_search(decoder_step, state, sos_id, eos_id, beam_size, max_length, alpha=0.0):
    beam, finished = [(0.0, [], state)], []
    for _ in range(max_length):
        candidates = []
        for score, tokens, hypothesis_state in beam:
            logits, new_state = decoder_step(np.array([tokens[-1] if tokens else sos_id]),
                                             hypothesis_state)
            probs = np.exp(logits[0] - logits[0].max())
            probs = probs / probs.sum()
            for token in np.argsort(-probs, kind="stable")[:beam_size]:
                candidates.append((score + probs[token], tokens + [int(token)], new_state))
        candidates.sort(key=lambda candidate: -candidate[0])
        beam = []
        for score, tokens, new_state in candidates[:beam_size]:
            if tokens[-1] == eos_id:
                finished.append((score, tokens))
            else:
                beam.append((score, tokens, new_state))
        if not beam:
            break
    finished = finished or [(score, tokens) for score, tokens, _ in beam]
    best = max(finished, key=lambda item: item[0] / ((5 + len(item[1])) / 6) ** alpha)
    return np.array(best[1])
''', "LOG-probabilities"),
    },
    "04b_attention": {
        "masked_softmax": ('''
def masked_softmax(scores, mask):
    exps = np.exp(scores - scores.max(axis=0, keepdims=True)) * mask
    return exps / exps.sum(axis=0, keepdims=True)  # over the batch axis
''', "batch axis"),
        "additive_attention": ('''
def additive_attention(query, keys, mask, W, U, v):
    scores = np.tanh((query @ W.T)[:, None, :] + keys @ U.T) @ v
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights = weights / weights.sum(axis=1, keepdims=True)  # padding not masked
    return (weights[:, :, None] * keys).sum(axis=1), weights
''', "padding"),
        "attention_decoder_step": ('''
def attention_decoder_step(prev_embedding, state_prev, keys, mask, params):
    context, _ = reference.additive_attention(state_prev, keys, mask, params["W"],
                                              params["U"], params["v"])
    gru_input = np.concatenate([prev_embedding, context], axis=1)
    state = reference.gru_cell_forward(gru_input, state_prev, params["W_x"], params["W_h"],
                                   params["b_x"], params["b_h"])
    context, weights = reference.additive_attention(state, keys, mask, params["W"],
                                                    params["U"], params["v"])  # s_t
    readout = np.concatenate([state, context, prev_embedding], axis=1)
    return readout @ params["W_out"].T + params["b_out"], state, weights
''', "s_{t-1}"),
    },
    "04c_luong": {
        "general_scores": ('''
def general_scores(query, keys, W_a):
    projected_keys = keys @ W_a.T
    scores = np.einsum("bsd,bd->bs", projected_keys, query)
    return scores / np.sqrt(query.shape[1])  # the Transformer's scaling
''', "divided by sqrt"),
    },
}


def digest(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def assigned(tmp_path_factory):
    """otter assign output (student/, autograder/ with the zip) for every chapter."""
    out = {}
    for chapter in CHAPTERS:
        work = tmp_path_factory.mktemp(f"assign_{chapter}")
        master = ROOT / "solutions" / f"{chapter}.ipynb"
        dist = lessons.run_otter_assign(master, work / "dist")
        out[chapter] = {
            "zip": next((dist / "autograder").glob("*.zip")),
            "solution": dist / "autograder" / f"{chapter}.ipynb",
        }
    return out


def otter_run(zip_path, notebook, tmp_path):
    """Grade one notebook with `otter run`; returns {question: (score, max, output)}."""
    submission = tmp_path / "submission" / notebook.name
    submission.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(notebook, submission)
    before = digest(submission)
    results = tmp_path / "results"
    results.mkdir(exist_ok=True)
    otter = pathlib.Path(sys.executable).parent / "otter"
    completed = subprocess.run(
        [str(otter), "run", "-a", str(zip_path), "-o", str(results), str(submission)],
        capture_output=True, text=True, timeout=900,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert digest(submission) == before, "grading changed the submitted notebook"
    report = json.loads((results / "results.json").read_text())
    return {test["name"]: (test.get("score"), test.get("max_score"), test.get("output", ""))
            for test in report["tests"] if test["name"] != "Public Tests"}


def assert_seqbook_grade_agrees(zip_path, notebook, otter_scores, tmp_path):
    """`seqbook grade` (which runs only the exercise cells) gives every exercise the
    score `otter run` (which runs the whole notebook) gave it."""
    [result] = grade.grade([str(notebook)], tmp_path / "seqbook_grade",
                           instructor_dir=zip_path.parent)
    assert result.status == "graded", result.message
    ours = {name: exercise["score"] for name, exercise in result.exercises.items()}
    assert ours == {name: float(score) for name, (score, _, _) in otter_scores.items()}


@pytest.mark.slow
def test_otter_gives_the_instructor_notebook_full_marks(assigned, tmp_path):
    chapter = OTTER_CHAPTER
    scores = otter_run(assigned[chapter]["zip"], assigned[chapter]["solution"], tmp_path)
    assert scores, "otter reported no questions"
    assert_seqbook_grade_agrees(assigned[chapter]["zip"], assigned[chapter]["solution"],
                                scores, tmp_path)
    for question, (score, maximum, output) in scores.items():
        assert score == maximum, f"{question}: {score}/{maximum}\n{output}"


def seqbook_grade(zip_path, notebook, tmp_path):
    """Grade one notebook with `seqbook grade`; returns {question: (score, max, feedback)}."""
    before = digest(notebook)
    [result] = grade.grade([str(notebook)], tmp_path / "seqbook_grade",
                           instructor_dir=zip_path.parent)
    assert result.status == "graded", result.message
    assert digest(notebook) == before, "grading changed the submitted notebook"
    return {name: (exercise["score"], exercise["possible"],
                   "\n".join(case["message"] for case in exercise["cases"]))
            for name, exercise in result.exercises.items()}


# `otter run` executes a whole notebook, training included, so it costs a minute or two per
# notebook: it grades one chapter's instructor notebook and student notebook, and must agree
# with `seqbook grade` on both. Every chapter's instructor, untouched and wrong answers are
# graded by `seqbook grade`, which runs otter's own test files from that chapter's
# autograder zip against only the exercise cells (and nbval executes every notebook whole).
# Every chapter's instructor and untouched notebooks are graded, exercise by exercise, in
# tests/course/test_grading_cli.py (through `seqbook assign` and `seqbook grade`).
OTTER_CHAPTER = OTTER_ZERO_CHAPTER = CHAPTERS[0]


@pytest.mark.slow
def test_otter_scores_the_untouched_student_notebook_zero(assigned, tmp_path):
    chapter = OTTER_ZERO_CHAPTER
    lesson = ROOT / "lessons" / f"{chapter}.ipynb"
    scores = otter_run(assigned[chapter]["zip"], lesson, tmp_path)
    assert_seqbook_grade_agrees(assigned[chapter]["zip"], lesson, scores, tmp_path)
    for question, (score, maximum, output) in scores.items():
        assert maximum > 0
        assert score == 0, f"{question} scored {score} with no answer written"
        assert "replace the `...`" in output.lower(), f"{question}: no hint to start\n{output}"


def fill_answers(notebook, answers):
    """Replace the answer cells that define the named functions; returns the count."""
    replaced = 0
    for cell in notebook.cells:
        if "otter_answer_cell" not in cell.metadata.get("tags", []):
            continue
        for name, (source, _) in answers.items():
            if f"def {name}(" in cell.source:
                cell.source = source.strip()
                replaced += 1
    return replaced


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_wrong_answers_lose_points_with_a_helpful_message(chapter, assigned, tmp_path):
    answers = WRONG_ANSWERS.get(chapter)
    assert answers, f"add typical wrong answers for {chapter} to WRONG_ANSWERS"
    lesson = nbformat.read(ROOT / "lessons" / f"{chapter}.ipynb", as_version=4)
    assert fill_answers(lesson, answers) == len(answers)
    wrong = tmp_path / "wrong" / f"{chapter}.ipynb"
    wrong.parent.mkdir()
    nbformat.write(lesson, wrong)
    scores = seqbook_grade(assigned[chapter]["zip"], wrong, tmp_path)
    assert set(answers) <= set(scores), f"exercises without wrong answers: {set(scores)}"
    for question, (_, message) in answers.items():
        score, maximum, output = scores[question]
        assert score < maximum, f"{question}: a wrong answer kept full marks"
        assert message in output, f"{question}: feedback lacks {message!r}:\n{output}"
