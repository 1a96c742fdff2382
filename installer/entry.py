"""The frozen program's entry point (PyInstaller starts here): the same front door as
``python -m kac_desktop``."""

import multiprocessing
import sys

if __name__ == "__main__":
    # the demonstration builder computes keys in worker processes; a frozen Windows program
    # starts them through this same executable
    multiprocessing.freeze_support()
    from kac_desktop.cli import main

    sys.exit(main())
