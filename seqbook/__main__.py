"""``python -m seqbook``: the same command line as ``seqbook``."""

import sys

from seqbook.cli import main

sys.exit(main())
