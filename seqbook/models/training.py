"""The one training loop every chapter uses: Adam, gradient clipping, optional evaluations.

Each task supplies ``batch_loss(step)``, the loss of one mini-batch (it draws the batch
itself, so the order of random draws is the task's own), and optionally ``evaluate()``,
a measurement taken at step 0, every ``evaluate_every`` steps and after the last step.
"""

import time

import torch
from torch import nn

from seqbook.progress import Progress


def fit(model, batch_loss, steps, lr=3e-3, clip=1.0, evaluate=None, evaluate_every=None,
        progress=None, update=None):
    """Train ``model`` for ``steps`` steps of Adam on ``batch_loss``, clipping the gradient.

    Args:
        model: a ``torch.nn.Module``; it is in training mode during each step and in
            evaluation mode when this returns.
        batch_loss: ``batch_loss(step) -> loss``, a scalar tensor for one mini-batch.
        steps: the number of updates.
        lr: Adam's learning rate.  clip: the largest gradient norm (Pascanu et al.).
        evaluate: ``evaluate() -> value``, called before step 0, every ``evaluate_every``
            steps and after the last one (without gradients).
        progress: a description such as ``"training the LSTM"``: shows a progress bar in
            Jupyter (see :mod:`seqbook.progress`).
        update: ``update(step, optimizer) -> loss``, a whole step written elsewhere
            (forward, ``zero_grad``, backward, clipping at ``clip`` and ``optimizer.step()``,
            returning the loss as a float), used instead of ``batch_loss`` (pass None), so
            that a task whose step is an exercise, Chapter 1's
            :func:`~seqbook.models.language.char_rnn_training_step`, trains with that one
            function. It does the same arithmetic as the step below.

    Returns:
        A dict: ``"losses"`` (one float per step), ``"seconds"`` (time spent in the updates,
        evaluations left out), ``"steps"`` and ``"evaluations"`` (the steps evaluated and
        what ``evaluate`` returned there; empty without ``evaluate``).
    """
    # foreach: the same arithmetic as the default loop over parameters (the same numbers,
    # bit for bit), in fewer calls.
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, foreach=True)
    history = {"losses": [], "seconds": 0.0, "steps": [], "evaluations": []}
    bar = Progress(progress, steps) if progress else None
    for step in range(steps + 1):
        if evaluate is not None and (step % evaluate_every == 0 or step == steps):
            with torch.no_grad():
                history["evaluations"].append(evaluate())
            history["steps"].append(step)
        if step == steps:
            break
        start = time.perf_counter()
        model.train()
        if update is not None:
            history["losses"].append(float(update(step, optimizer)))
        else:
            loss = batch_loss(step)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            history["losses"].append(loss.item())
        history["seconds"] += time.perf_counter() - start
        if bar is not None:
            bar.update(step + 1)
    model.eval()
    return history
