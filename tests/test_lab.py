"""Tests for seqbook.lab: one call makes a lab's random draws reproducible."""

import os
import random
import subprocess
import sys

import numpy as np
import pytest
import torch

from seqbook import lab


@pytest.fixture(autouse=True)
def restore_global_state():
    """setup() changes process-wide settings; put them back for the other tests."""
    deterministic = torch.are_deterministic_algorithms_enabled()
    print_options = np.get_printoptions()
    threads = torch.get_num_threads()
    yield
    torch.use_deterministic_algorithms(deterministic)
    torch.set_num_threads(threads)
    np.set_printoptions(**print_options)


def _draws(rng):
    return (
        random.random(),
        float(np.random.rand()),
        torch.rand(3).tolist(),
        rng.random(2).tolist(),
    )


def test_setup_returns_a_numpy_generator():
    rng = lab.setup(0)
    assert isinstance(rng, np.random.Generator)


def test_setup_makes_every_draw_reproducible():
    first = _draws(lab.setup(5))
    random.random(), np.random.rand(), torch.rand(1)  # move every generator on
    second = _draws(lab.setup(5))
    assert first == second


def test_different_seeds_give_different_draws():
    first = _draws(lab.setup(5))
    other = _draws(lab.setup(6))
    for mine, theirs in zip(first, other):
        assert mine != theirs


def test_returned_generator_matches_default_rng():
    assert lab.setup(7).random(4).tolist() == np.random.default_rng(7).random(4).tolist()


def test_setup_makes_torch_deterministic():
    torch.use_deterministic_algorithms(False)
    lab.setup(0)
    assert torch.are_deterministic_algorithms_enabled()


def test_setup_uses_one_torch_thread():
    torch.set_num_threads(2)
    lab.setup(0)
    assert torch.get_num_threads() == 1


def test_cpu_code_paths_are_pinned_without_overriding():
    environ = {"MKL_CBWR": "COMPATIBLE"}
    lab.pin_cpu_code_paths(environ)
    assert environ["MKL_CBWR"] == "COMPATIBLE"  # what a reader set is kept
    assert environ["ATEN_CPU_CAPABILITY"] == "avx2" and environ["ONEDNN_MAX_CPU_ISA"] == "AVX2"


def test_setup_pins_torch_to_avx2_kernels(root):
    code = ("import torch; from seqbook import lab; lab.setup(); x = torch.ones(3) + 1; "
            "print(torch.backends.cpu.get_cpu_capability())")
    env = {k: v for k, v in os.environ.items() if k not in lab.CPU_CODE_PATHS}
    completed = subprocess.run([sys.executable, "-c", code], cwd=root, env=env,
                               capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.strip() in ("AVX2", "DEFAULT")  # DEFAULT: a CPU without AVX2
