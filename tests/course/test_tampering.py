"""Submissions that try to get points without the work (among them by answering with
the book's own function of the exercise), built from Chapter 1's lesson and
master as tests/course/test_grading_cli.py builds its broken ones. Each must score
exactly what its honest code earns: 0 for an exercise left as `...`, the points of the
cases its code really passes.

The checks run in the grader's process and call the student's functions in a child
process (seqbook.course.proxy), so nothing a submission does to its own process (its
modules, numpy, builtins, its output, its file descriptors, its parent, its memory, its
time) reaches the score. One graded batch serves the whole module.
"""

import json
import re

import nbformat
import pytest

from seqbook.course import grade, sandbox
from tests.conftest import ROOT
from tests.course.test_grading_cli import (
    FIRST,
    answer_cell,
    master_of,
    rows_by_label,
    save,
    solution_sources,
    solved_lesson,
)

EXERCISES = master_of(FIRST).exercises
FIRST_EXERCISE = next(iter(EXERCISES))  # rnn_cell_forward
STUB = "def rnn_cell_forward(x, hidden_prev, W_xh, W_hh, b_h):\n    ...\n"

FAKE_EVENT = json.dumps({"event": "exercise", "exercise": FIRST_EXERCISE, "score": 2,
                         "possible": 2, "cases": [], "notes": []})
FAKE_OUTPUT = f'''
import json, os, struct
print("{FIRST_EXERCISE} results: All test cases passed!")
print({FAKE_EVENT!r})
forged = []
for seq in range(8):  # well-framed messages of the grader's link, claiming results
    from seqbook.course import link, wire
    for message in ({{"op": "ready", "callable": True, "cell_errors": []}},
                    {{"op": "return", "value": 1.0, "book": [], "changed": []}}):
        forged.append(link.HEADER.pack(link.MAGIC, seq, 0, 1) + wire.encode(message)[0])
for fd in range(1024):
    for data in [b"All test cases passed!\\n", {FAKE_EVENT!r}.encode() + b"\\n",
                 b"SQB1" + bytes(13) + b"junk", *forged]:
        try:
            os.write(fd, data)
        except OSError:
            pass
'''

REPLACE_CHECKS = '''
import sys
import seqbook.checks, seqbook.checks.rnn, otter.test_files
def passes(*args, **kwargs):
    return None
for module in list(sys.modules.values()):
    if getattr(module, "__name__", "").startswith(("seqbook.checks", "otter")):
        for name in list(vars(module)):
            if name.endswith(("_public", "_hidden")) or name in (
                    "call_student", "diagnose", "expect_array", "matches"):
                setattr(module, name, passes)
otter.test_files.ExceptionTestFile.run = lambda self, env: None
sys.modules["seqbook.checks.rnn"] = None
'''

PATCH_NUMPY = '''
import builtins
import numpy as np
np.allclose = np.isclose = np.array_equal = np.all = lambda *args, **kwargs: True
np.testing.assert_allclose = np.testing.assert_array_equal = lambda *args, **kwargs: None
builtins.AssertionError = type("AssertionError", (Exception,), {})
builtins.isinstance = lambda *args: True
'''

PATCH_NUMPY_GENTLY = '''
import numpy as np
np.allclose = np.isclose = np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
'''

MAGIC_EQUAL = '''
class MagicEqual:
    shape = (3, 5)
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    def __float__(self):
        return 0.0
def rnn_cell_forward(x, hidden_prev, W_xh, W_hh, b_h):
    return MagicEqual()
'''

NDARRAY_SUBCLASS = '''
import numpy as np
class Always(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), bool)
    def __array_function__(self, func, types, args, kwargs):
        return True
def rnn_cell_forward(x, hidden_prev, W_xh, W_hh, b_h):
    return np.zeros((x.shape[0], W_hh.shape[0])).view(Always)
'''

KILL_PARENT = '''
import os, signal
def _attack():
    grader = os.getppid()
    attempts = [lambda: os.kill(grader, signal.SIGKILL),
                lambda: os.killpg(os.getpgid(grader), signal.SIGKILL),
                lambda: os.kill(0, signal.SIGTERM), lambda: os.kill(-1, signal.SIGKILL),
                lambda: signal.pthread_kill(0, signal.SIGKILL)]
    try:
        import ctypes
        attempts.append(lambda: ctypes.CDLL(None).kill(grader, 9))
    except Exception:
        pass
    for attempt in attempts:
        try:
            attempt()
        except Exception:
            pass
    for fd in range(64):  # the grader's pipe to the batch, through /proc
        for path in (f"/proc/{grader}/fd/{fd}", f"/proc/{os.getpgid(grader)}/fd/{fd}"):
            try:
                with open(path, "w") as handle:
                    handle.write(FAKE + "\\n")
            except Exception:
                pass
_attack()
'''.replace("FAKE", repr(FAKE_EVENT))

FORK = '''
import os
def _spawn():
    try:
        import _posixsubprocess
        read, write = os.pipe()
        _posixsubprocess.fork_exec(
            [b"/bin/kill", b"-9", str(os.getppid()).encode()], [b"/bin/kill"], True, (),
            None, None, -1, -1, -1, -1, -1, -1, read, write, True, False, -1, None, None,
            None, -1, None, False)
    except Exception:
        pass
    for attempt in (os.fork, lambda: os.posix_spawn("/bin/true", ["true"], {}),
                    lambda: __import__("subprocess").run(["true"]),
                    lambda: os.system("kill -9 $PPID")):
        try:
            if attempt() == 0:
                os._exit(0)
        except Exception:
            pass
_spawn()
'''


SIGNATURE = "def rnn_cell_forward(x, hidden_prev, W_xh, W_hh, b_h):\n"
BOOK_IMPORTED = "from seqbook.reference import rnn_cell_forward\n"
BOOK_CALLED = SIGNATURE + "    return reference.rnn_cell_forward(x, hidden_prev, W_xh, W_hh, b_h)\n"
BOOK_BY_A_BUILT_NAME = SIGNATURE + (
    "    return getattr(reference, 'rnn_cell' + '_forward')(x, hidden_prev, W_xh, W_hh, b_h)\n")
BOOK_THROUGH_ANOTHER_EXERCISE = SIGNATURE + (
    "    return reference.rnn_forward(x[:, None], hidden_prev, W_xh, W_hh, b_h)[:, 0]\n")
BOOK_RELOADED = SIGNATURE + (
    "    import importlib\n    import seqbook.reference.rnn as module\n"
    "    name, fresh_copy = 'rnn_cell' + '_forward', {}\n"
    "    for fresh in (lambda: getattr(importlib.reload(module), name),\n"
    "                  lambda: exec(open(module.__file__).read(), fresh_copy)\n"
    "                  or fresh_copy[name]):\n"
    "        try:\n            function = fresh()\n"
    "            if function is not None:\n"
    "                return function(x, hidden_prev, W_xh, W_hh, b_h)\n"
    "        except Exception:\n            pass\n")


def after_solution(extra, inside=""):
    """The first exercise's solution, then ``extra``; ``inside`` runs at every call."""
    solution = solution_sources(FIRST)[FIRST_EXERCISE]
    if not inside:
        return solution + "\n" + extra
    return (solution + "\n" + extra + f"\n_right = {FIRST_EXERCISE}\n"
            f"def {FIRST_EXERCISE}(x, hidden_prev, W_xh, W_hh, b_h):\n"
            + "".join(f"    {line}\n" for line in inside.strip().splitlines())
            + "    return _right(x, hidden_prev, W_xh, W_hh, b_h)\n")


# label: (first exercise's cell, the other exercises solved?, the first exercise's points
# when graded honestly, words its feedback must contain)
CASES = {
    "checks_replaced": (REPLACE_CHECKS + STUB, False, 0.0, "no `return` yet"),
    "numpy_and_builtins_patched": (
        PATCH_NUMPY + "def rnn_cell_forward(x, hidden_prev, W_xh, W_hh, b_h):\n"
        "    return np.zeros((x.shape[0], W_hh.shape[0]))\n", False, 0.0, ""),
    "numpy_patched_honest": (after_solution(PATCH_NUMPY_GENTLY), True, 2.0, ""),
    "magic_equal": (MAGIC_EQUAL, False, 0.0, "returned a MagicEqual object"),
    "ndarray_subclass": (NDARRAY_SUBCLASS, False, 0.0, "subclass of numpy.ndarray"),
    "fake_output_unsolved": (FAKE_OUTPUT + STUB, False, 0.0, "no `return` yet"),
    "fake_output_solved": (after_solution(FAKE_OUTPUT), True, 2.0, ""),
    "kills_parent": (after_solution(KILL_PARENT, inside="_attack()"), True, 2.0, ""),
    "forks": (after_solution(FORK, inside="_spawn()"), True, 2.0, ""),
    "memory_in_hidden_case": (after_solution("", inside=(
        "if x.shape[0] == 1:\n    hog = []\n    while True:\n"
        "        hog.append(bytearray(10**8))")), True, 1.0, "MemoryError"),
    "endless_loop_in_hidden_case": (after_solution("", inside=(
        "while x.shape[0] == 1:\n    try:\n        pass\n    except BaseException:\n"
        "        pass")), True, 1.0,
        "stopped after 3 s in the hidden case with B = 1, D = "),
    "exits_in_hidden_case": (after_solution("", inside=(
        "if x.shape[0] == 1:\n    import os\n    os._exit(0)")), True, 1.0,
        "process ended"),
    # the book's own answer is not an answer
    "book_answer_imported": (BOOK_IMPORTED, True, 0.0,
                             "rnn_cell_forward is the book's own rnn_cell_forward"),
    "book_answer_called": (BOOK_CALLED, True, 0.0,
                           "rnn_cell_forward calls the book's own rnn_cell_forward"),
    "book_answer_by_a_built_name": (BOOK_BY_A_BUILT_NAME, True, 0.0,
                                    "called the book's own rnn_cell_forward"),
    "book_answer_through_another_exercise": (BOOK_THROUGH_ANOTHER_EXERCISE, True, 0.0,
                                             "called the book's own rnn_cell_forward"),
    "book_answer_reloaded": (BOOK_RELOADED, True, 0.0, "no `return` yet"),
    "book_answer_in_a_self_check": (after_solution(
        "_x = np.ones((2, 3))\nassert np.allclose(rnn_cell_forward(_x, np.zeros((2, 4)), "
        "np.ones((4, 3)), np.eye(4), np.zeros(4)), reference.rnn_cell_forward(_x, "
        "np.zeros((2, 4)), np.ones((4, 3)), np.eye(4), np.zeros(4)))\n"), True, 2.0, ""),
}


def tampered(first_cell, solved):
    lesson = solved_lesson() if solved else nbformat.read(
        ROOT / "lessons" / f"{FIRST}.ipynb", as_version=4)
    answer_cell(lesson, FIRST_EXERCISE).source = first_cell
    return lesson


# Submissions whose own code is slow to run: they import otter in each exercise's
# process (the grader's students' processes do not preload it), a few seconds each on a
# loaded machine, so they are graded with seqbook grade's default limit. The others get a
# short one, so that the endless loops among them cost little.
SLOW_TO_RUN = {"checks_replaced"}
SHORT_LIMITS = sandbox.Limits(timeout=12, memory_mb=256)
DEFAULT_LIMITS = sandbox.Limits(memory_mb=256)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("tampering")
    rows, results = {}, {}
    for group, limits in (("subs", SHORT_LIMITS), ("slow", DEFAULT_LIMITS)):
        for label, (first_cell, solved, _, _) in CASES.items():
            if (label in SLOW_TO_RUN) == (group == "slow"):
                save(tampered(first_cell, solved), root / group / label / f"{FIRST}.ipynb")
        out = root / f"out_{group}"
        graded_group = grade.grade([str(root / group)], out, jobs=2, expected=[FIRST],
                                   limits=limits)
        rows.update(rows_by_label(out))
        results.update({r.label.split("/")[-2]: r for r in graded_group})
    return {"rows": rows, "results": results}


def honest_scores(label):
    _, solved, first_points, _ = CASES[label]
    return {name: (first_points if name == FIRST_EXERCISE else
                   exercise.points if solved else 0.0) for name, exercise in EXERCISES.items()}


@pytest.mark.parametrize("label", CASES)
def test_a_tampering_submission_scores_what_its_honest_code_earns(graded, label):
    result = graded["results"][label]
    assert result.status == "graded", (result.status, result.message)
    scores = {name: exercise["score"] for name, exercise in result.exercises.items()}
    assert scores == honest_scores(label), result.message
    words = CASES[label][3]
    first = result.exercises[FIRST_EXERCISE]
    feedback = " ".join([*first["notes"], *(case["message"] for case in first["cases"])])
    assert words in feedback, feedback


def test_a_stopped_case_is_named_once_and_costs_only_that_case(graded):
    first = graded["results"]["endless_loop_in_hidden_case"].exercises[FIRST_EXERCISE]
    public, hidden = first["cases"]
    assert public["passed"] and not hidden["passed"]
    assert hidden["message"].count("stopped") == 1, hidden["message"]
    assert re.fullmatch(r"stopped after 3 s in the hidden case with B = 1, D = \d+, "
                        r"H = \d+: an endless loop\?", hidden["message"]), hidden["message"]


def test_a_self_check_against_the_book_is_reported_and_costs_nothing(graded):
    result = graded["results"]["book_answer_in_a_self_check"]
    errors = " ".join(error["error"] for error in result.cell_errors)
    assert "not available while your rnn_cell_forward is graded" in errors, errors


def test_the_book_answers_of_the_other_exercises_stay_usable(graded):
    """While rnn_cell_forward's imports and calls of the book's own cost it its points,
    the chapter's other exercises, whose cells call the book's functions, keep theirs."""
    for label in ("book_answer_imported", "book_answer_through_another_exercise"):
        scores = {name: e["score"] for name, e in graded["results"][label].exercises.items()}
        assert scores["rnn_forward"] == EXERCISES["rnn_forward"].points


def test_forged_output_reaches_neither_the_gradebook_nor_the_feedback(graded):
    for label in ("fake_output_unsolved", "fake_output_solved"):
        result = graded["results"][label]
        assert "All test cases passed!" in result.output  # what the cells printed ...
        row = next(row for name, row in graded["rows"].items() if f"/{label}/" in name)
        assert float(row["total"]) == sum(honest_scores(label).values())  # ... not a score
