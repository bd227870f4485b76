"""``python -m seqbook``: the same command line as ``seqbook``."""

import sys

from seqbook.course.cli import main

sys.exit(main())
