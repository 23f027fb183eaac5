"""``python -m skdbn.cli``: the same as the ``skdbn`` command."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
