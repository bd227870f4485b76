"""The instructor's seed, from which the hidden checks draw their cases.

``seqbook assign`` writes a fresh one into the instructor bundle (``seed.txt``); the
student bundle never holds it. ``seqbook grade`` takes, in this order: ``--seed``; the
bundle's ``seed.txt`` (with ``--instructor``); else the instructor's own seed file,
``$XDG_CONFIG_HOME/seqbook/hidden-seed`` (``~/.config/seqbook/hidden-seed``), made with a
fresh seed the first time and kept, so that grading again gives the same cases.
"""

import os
import pathlib
import secrets

SEED_FILE = "seed.txt"


class SeedError(ValueError):
    """A seed file that does not hold a seed."""


def fresh():
    """A new seed: 64 random bits."""
    return secrets.randbits(64)


def write(path, seed):
    """Write ``seed`` to ``path``, readable by its owner only."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(f"{seed}\n")
    return path


def read(path):
    """The seed in ``path``; SeedError when the file holds anything else."""
    text = pathlib.Path(path).read_text().strip()
    if not text.isdigit():
        raise SeedError(f"{path} does not hold a seed (a whole number): {text[:40]!r}")
    return int(text)


def user_file():
    """The instructor's own seed file."""
    config = os.environ.get("XDG_CONFIG_HOME") or pathlib.Path.home() / ".config"
    return pathlib.Path(config) / "seqbook" / "hidden-seed"


def resolve(seed=None, instructor_dir=None):
    """``(seed, where it came from)``, by the rule in the module's docstring."""
    if seed is not None:
        return int(seed), "--seed"
    if instructor_dir is not None:
        bundled = pathlib.Path(instructor_dir) / SEED_FILE
        if bundled.exists():
            return read(bundled), str(bundled)
    path = user_file()
    if not path.exists():
        write(path, fresh())
        return read(path), f"{path} (made now)"
    return read(path), str(path)
