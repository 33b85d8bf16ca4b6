"""``python -m mlint``."""

import os
import sys

# With `-m`, the current folder is sys.path[0]: a `click.py` or `libcst/` in the
# project being linted must not be imported in place of mlint's dependencies.
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from mlint.cli import main

if __name__ == "__main__":
    main()
