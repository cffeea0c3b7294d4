"""What every benchmark script shares: a fresh temporary folder, kept on request."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def run_in_temp(
    ap: argparse.ArgumentParser, name: str, run: Callable[[Path, argparse.Namespace], None]
) -> int:
    """Parse the arguments (adding --keep), run the benchmark in a new temporary folder,
    and remove the folder afterwards unless --keep was given."""
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix=f"mediashelf-bench-{name}-"))
    try:
        run(tmp, args)
    finally:
        if args.keep:
            print(f"\nkept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0
