"""What the benchmark scripts share: a fresh temporary folder kept on request, a fresh
database, and the table every script prints."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from mediashelf.config import Settings
from mediashelf.db.engine import make_engine, upgrade


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


def fresh_engine(settings: Settings) -> Engine:
    """An engine on the settings' database, schema applied."""
    engine = make_engine(settings.db_url)
    upgrade(engine)
    return engine


def table(rows: list[tuple[str, ...]]) -> str:
    """Rows of (metric, ours, baseline, ratio wall, ratio CPU, goal, met?), aligned."""
    head = ("metric", "ours", "baseline", "ratio (wall)", "ratio (CPU)", "goal", "met?")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    return "\n".join(lines + [fmt.format(*r) for r in rows])


def verdict(ok_wall: bool, ok_cpu: bool) -> str:
    """The met? column: the goal in wall time / in CPU time."""
    return f"{'yes' if ok_wall else 'NO'} / {'yes' if ok_cpu else 'NO'}"
