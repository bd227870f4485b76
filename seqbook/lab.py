"""One call that makes a lab reproducible: seeds, deterministic torch, tidy printing."""

import os
import random

import numpy as np
import torch

# torch chooses its CPU kernels by the processor it finds: an AVX-512 machine rounds a few
# sums differently from an AVX2 machine, and a thousand training steps turn that into a
# different second decimal. Pinned to AVX2 (which every x86 processor of the last decade
# has), torch's own kernels, MKL and oneDNN compute the same numbers on all of them, so a
# lab prints what its committed outputs say. Variables already set are left alone.
CPU_CODE_PATHS = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"}


def pin_cpu_code_paths(environ=os.environ):
    """Set :data:`CPU_CODE_PATHS` in ``environ`` unless already set. It takes effect only
    before torch computes anything, so call it right after the imports."""
    for name, value in CPU_CODE_PATHS.items():
        environ.setdefault(name, value)


def setup(seed=0):
    """Seed every random generator the labs use and make torch deterministic.

    Also pins torch's CPU code paths (:data:`CPU_CODE_PATHS`), uses one torch thread and
    prints numpy arrays with four decimals.

    Returns:
        A numpy ``Generator`` seeded with ``seed``, for the lab's own random draws.
    """
    pin_cpu_code_paths()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    # The labs' models are small: one thread is faster than two passing tiny matrices back
    # and forth, and leaves the other core free.
    torch.set_num_threads(1)
    np.set_printoptions(precision=4, suppress=True)
    return np.random.default_rng(seed)
