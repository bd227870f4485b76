"""Tests for seqbook.models.training: the one training loop."""

import torch

from seqbook import models


def test_fit_takes_adam_steps_with_clipping_and_evaluates_on_schedule():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    inputs, targets = torch.randn(32, 3), torch.randn(32, 1)
    calls = []

    def batch_loss(step):
        calls.append(step)
        return torch.nn.functional.mse_loss(model(inputs), targets)

    def evaluate():
        return batch_loss(-1).item()

    history = models.fit(model, batch_loss, steps=25, lr=1e-2, evaluate=evaluate,
                         evaluate_every=10)
    assert [c for c in calls if c >= 0] == list(range(25))
    assert history["steps"] == [0, 10, 20, 25]
    assert len(history["losses"]) == 25 and history["seconds"] > 0
    assert history["evaluations"][-1] < history["evaluations"][0]  # it learned
    assert not model.training  # left in evaluation mode


def test_fit_matches_a_hand_written_adam_loop():
    """The loop is plain Adam with clipping: the same updates as writing it out."""
    def run(use_fit):
        torch.manual_seed(1)
        model = torch.nn.Linear(4, 2)
        data = torch.randn(8, 4)

        def loss_of(step):
            return (model(data) ** 2).sum() * 10  # large gradients: clipping matters

        if use_fit:
            models.fit(model, loss_of, steps=5, lr=0.1, clip=0.5)
        else:
            optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
            for step in range(5):
                loss = loss_of(step)
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
                optimizer.step()
        return [p.detach().clone() for p in model.parameters()]

    for ours, theirs in zip(run(True), run(False)):
        assert torch.equal(ours, theirs)
