"""``python -m viz``: the ``backprop-lab`` command line (see ``viz.cli``)."""

import sys

from .cli import main

sys.exit(main())
