"""seqbook: the shared code of the Sequence Models course book.

The folders are the architecture; each layer imports only the layers above it in this list
(``tests/test_layers.py`` checks it):

- ``lab``, ``progress``: a lab's reproducible set-up, and progress bars for long cells;
- ``reference``: the book's equations in numpy, the canonical answer to every exercise;
- ``tasks``: the data the book trains on, with one vocabulary class and one mask helper;
- ``models``: torch models and the one training loop every chapter uses;
- ``views``: plots and explorers;
- ``checks``: the tests behind every graded exercise, one module per lab;
- ``course``: instructor tooling (``seqbook assign``, ``seqbook grade``, lesson generation),
  which students do not need.
"""

__version__ = "0.1.0"
