"""Tests for seqbook.reference.beam_search: with a beam of one it is greedy decoding; a beam
wide enough to keep every hypothesis finds the best-scoring output of all (found here by
trying every output of a small scripted model); the length penalty is Wu et al.'s."""

import itertools

import numpy as np
import pytest

from seqbook import reference

SOS, EOS = 1, 2


class Tree:
    """A scripted decoder over V tokens: logits a fixed random function of the prefix."""

    def __init__(self, seed, V, eos_growth=0.5):
        self.seed, self.V, self.eos_growth = seed, V, eos_growth

    def state0(self):
        return np.zeros((1, 2))

    def __call__(self, tokens, state):
        code, depth = int(state[0, 0]), int(state[0, 1])
        code = code * (self.V + 1) + int(tokens[0]) + 1
        logits = 1.5 * np.random.default_rng([self.seed, code]).standard_normal(self.V)
        logits[EOS] += self.eos_growth * depth - 1.0
        logits[[0, SOS]] = -30.0
        return logits[None, :], np.array([[code, depth + 1]], dtype=float)

    def log_prob(self, tokens):
        """log p(tokens), by feeding them in."""
        state, previous, total = self.state0(), SOS, 0.0
        for token in tokens:
            logits, state = self(np.array([previous]), state)
            scores = logits[0] - logits[0].max()
            total += scores[token] - np.log(np.exp(scores).sum())
            previous = token
        return total


def penalty(length, alpha):
    return ((5 + length) / 6) ** alpha


def brute_force(tree, max_length, alpha):
    """Every output that ends at its first EOS within max_length, scored as beam search
    scores finished hypotheses; the best one."""
    regular = [token for token in range(tree.V) if token not in (0, SOS, EOS)]
    best, best_score = None, -np.inf
    for length in range(1, max_length + 1):
        for body in itertools.product(regular, repeat=length - 1):
            tokens = list(body) + [EOS]
            score = tree.log_prob(tokens) / penalty(len(tokens), alpha)
            if score > best_score:
                best, best_score = tokens, score
    return best


@pytest.mark.parametrize("seed", range(6))
def test_a_beam_of_one_is_greedy_decoding(seed):
    tree = Tree(seed, 7)
    greedy = reference.greedy_decode(tree, tree.state0(), SOS, EOS, max_length=9)[0]
    beam = reference.beam_search(tree, tree.state0(), SOS, EOS, 1, 9)
    assert beam.tolist() == [token for token in greedy.tolist() if token != 0]


@pytest.mark.parametrize("seed, alpha", [(seed, alpha) for seed in range(5)
                                         for alpha in (0.0, 0.6, 1.0, 2.0)])
def test_a_wide_beam_finds_the_best_output_of_all(seed, alpha):
    tree, max_length = Tree(seed, 5, eos_growth=0.3), 5  # 2 regular tokens and EOS
    wide = reference.beam_search(tree, tree.state0(), SOS, EOS, 5 ** max_length, max_length,
                                 alpha)
    assert wide.tolist() == brute_force(tree, max_length, alpha)


def test_the_beam_can_beat_greedy_decoding_and_scores_are_log_probabilities():
    """Over many scripted models, a beam of 4 never ends with a worse score than greedy
    decoding, and beats it on some."""
    better = 0
    for seed in range(40):
        tree = Tree(seed, 6)
        greedy = reference.beam_search(tree, tree.state0(), SOS, EOS, 1, 8)
        beam = reference.beam_search(tree, tree.state0(), SOS, EOS, 4, 8)
        if greedy[-1] == EOS and beam[-1] == EOS:
            assert tree.log_prob(beam) >= tree.log_prob(greedy) - 1e-12
            better += tree.log_prob(beam) > tree.log_prob(greedy) + 1e-9
    assert better >= 5


def test_the_length_penalty_favours_longer_outputs():
    """Raising alpha never makes the chosen output shorter, and on some models longer."""
    longer = 0
    for seed in range(40):
        tree = Tree(seed, 6, eos_growth=0.2)
        lengths = [len(reference.beam_search(tree, tree.state0(), SOS, EOS, 4, 10, alpha))
                   for alpha in (0.0, 1.0, 3.0)]
        assert lengths == sorted(lengths)
        longer += lengths[-1] > lengths[0]
    assert longer >= 3


def test_penalty_is_gnmt():
    """A hand-made decoder over PAD, SOS, EOS, a, b, max_length 3: the finished outputs
    are 'a EOS', log-probability -1.2, and 'a a EOS', -1.5. alpha = 0 picks the shorter;
    alpha = 2 compares -1.2 / (7/6)^2 = -0.882 with -1.5 / (8/6)^2 = -0.844: the longer."""
    a, b = 3, 4
    eos_late = -1.5 - np.log1p(-np.exp(-1.2))  # log p(EOS | a a)

    def step(tokens, state):
        depth = int(state[0, 0])
        log_probs = np.full(5, -50.0)
        if depth == 0:
            log_probs[a] = 0.0
        elif depth == 1:
            log_probs[EOS], log_probs[a] = -1.2, np.log1p(-np.exp(-1.2))
        else:
            log_probs[EOS], log_probs[b] = eos_late, np.log1p(-np.exp(eos_late))
        return log_probs[None, :], np.array([[depth + 1.0]])

    short = reference.beam_search(step, np.zeros((1, 1)), SOS, EOS, 2, 3, 0.0)
    long = reference.beam_search(step, np.zeros((1, 1)), SOS, EOS, 2, 3, 2.0)
    assert short.tolist() == [a, EOS] and long.tolist() == [a, a, EOS]
    assert -1.2 / (7 / 6) ** 2 < -1.5 / (8 / 6) ** 2


def test_without_eos_the_live_hypotheses_compete():
    def step(tokens, state):  # EOS never likely
        logits = np.array([[-30.0, -30.0, -30.0, 1.0, 0.0]])
        return logits, state

    result = reference.beam_search(step, np.zeros((1, 1)), SOS, EOS, 3, 4)
    assert result.tolist() == [3, 3, 3, 3]
