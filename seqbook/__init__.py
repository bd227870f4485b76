"""seqbook: the shared code of the Sequence Models course book.

Modules, named for what they hold:
- ``cells``: reference recurrent cells in numpy, in the book's notation;
- ``gradients``: gradient checks, clipping, gradients through time;
- ``data``: the data the book trains on (generated, or shipped in a PyPI package);
- ``dates``: Chapter 4's task, human-written dates (Babel's CLDR data) to ISO 8601;
- ``models``: small torch models and training loops for the experiments;
- ``seq2seq``: Chapter 4's encoder-decoders in torch, plain and with Bahdanau attention;
- ``plots`` and ``widgets``: figures and explorer widgets for the labs;
- ``checks``: the tests behind every graded exercise;
- ``lab``: reproducible set-up for a lab.
"""

__version__ = "0.1.0"
