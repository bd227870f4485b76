"""Tests for seqbook.lab: one call makes a lab's random draws reproducible."""

import random

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
