"""Wall time and peak memory of ``import copfactors``, ``copfactors --help`` and the demo.

Each command runs ``--repeat`` times (5 by default) in a fresh subprocess; the table gives the
best and the median wall time and the peak resident memory of the subprocess (``ru_maxrss``
from ``os.wait4``, so it is that process's own peak). The bare interpreter
(``python -c pass``) and ``import numpy, pandas`` are shown for scale. The target is under
0.5 s for both copfactors commands. ``copfactors demo`` (the whole analysis of the embedded
SIMULATED example survey, writing its report to a temporary folder) runs ``--demo-repeat``
times (3 by default, 1 with ``--quick``).

Run::

    python benchmarks/startup.py
    python benchmarks/startup.py --repeat 10 --markdown results.md

The Markdown section goes to stdout (and is appended to ``--markdown``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 0.5


def measure(cmd: list[str]) -> tuple[float, float]:
    """Wall time (s) and peak RSS (MB) of one run of ``cmd``."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise RuntimeError(f"{' '.join(cmd)} exited with {code}:\n{err}")
    if proc.stderr:
        proc.stderr.close()
    return wall, usage.ru_maxrss / 1024  # Linux: kilobytes


def cli_command(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("copfactors")
    if script.exists():
        return [str(script), *args]
    found = shutil.which("copfactors")
    if found:
        return [found, *args]
    return [sys.executable, "-m", "copfactors.cli", *args]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--demo-repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="3 runs each, the demo once")
    parser.add_argument("--markdown", type=Path, help="append the section to this file")
    args = parser.parse_args(argv)
    repeat = 3 if args.quick else args.repeat
    demo_repeat = 1 if args.quick else args.demo_repeat
    demo_dir = tempfile.mkdtemp(prefix="copfactors-demo-")

    commands = [
        ("`python -c pass` (interpreter alone)", [sys.executable, "-c", "pass"], False),
        ("`import numpy, pandas`", [sys.executable, "-c", "import numpy, pandas"], False),
        ("`import copfactors`", [sys.executable, "-c", "import copfactors"], True),
        ("`copfactors --help`", cli_command("--help"), True),
        (
            "`copfactors demo` (whole analysis and report)",
            cli_command("demo", "--out", demo_dir),
            False,
        ),
    ]
    rows = []
    for label, cmd, targeted in commands:
        runs = [measure(cmd) for _ in range(demo_repeat if "demo" in cmd else repeat)]
        walls = [w for w, _ in runs]
        best = min(walls)
        verdict = ("yes" if best < TARGET_S else "NO") if targeted else ""
        rows.append(
            f"| {label} | {best:.3f} | {statistics.median(walls):.3f} | "
            f"{max(m for _, m in runs):.0f} | {verdict} |"
        )
        print(f"  {label}: best {best:.3f} s", file=sys.stderr, flush=True)
    lines = [
        "### Start-up: `import copfactors`, `copfactors --help`, `copfactors demo`",
        "",
        f"Fresh subprocess, {repeat} runs each ({demo_repeat} of the demo); peak RSS is the "
        "largest over the runs. The demo analyses the embedded SIMULATED example survey.",
        "",
        f"| command | best wall (s) | median wall (s) | peak RSS (MB) | < {TARGET_S} s |",
        "|---|---|---|---|---|",
        *rows,
    ]
    shutil.rmtree(demo_dir, ignore_errors=True)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        with args.markdown.open("a", encoding="utf-8") as fh:
            fh.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
