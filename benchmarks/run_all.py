"""Run every benchmark and write one page, ``docs/benchmarks.md``.

Each benchmark runs in its own subprocess (so that its memory and start-up are its own) with
the arguments below; ``--quick`` picks shorter settings. The page starts with the machine
(cores, CPU model and memory from ``/proc``), the versions that matter and the date, then has
one section per benchmark: the benchmark's own Markdown table, or its printed output in a
text block, under the command, its wall time and its peak resident memory: ``ru_maxrss`` from
``os.wait4``, which on Linux is the largest peak of the script's process and of the processes
it started and waited for (tables that compare tools in subprocesses give each one's own).
A benchmark that fails is reported on the page and the others still run; the exit
code is then 1. A benchmark script that is not there is listed as absent.

``docs/benchmarks-recorded.md`` holds earlier full-size runs with commentary and is not touched.

Run::

    python benchmarks/run_all.py                 # the full settings (several minutes)
    python benchmarks/run_all.py --quick         # a few minutes
    python benchmarks/run_all.py --only bootstrap startup --output /tmp/page.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@dataclass
class Bench:
    """One benchmark script and its arguments (full and ``--quick``)."""

    name: str
    title: str
    full: list[str] = field(default_factory=list)
    quick: list[str] = field(default_factory=list)


BENCHES = [
    Bench("startup", "Start-up time and memory; the demo", [], ["--quick"]),
    Bench("bootstrap", "Bootstrap: serial, two processes, Dask", [], ["--quick"]),
    Bench(
        "dominance",
        "Dominance analysis: serial, two processes, Dask; dominance-analysis",
        [],
        ["--quick"],
    ),
    Bench(
        "ordinal_fit",
        "Ordinal fits against statsmodels and R",
        ["--sizes", "10000", "100000", "1000000", "--all"],
        ["--sizes", "10000"],
    ),
    Bench(
        "read_validate",
        "Reading and validating a survey",
        [],
        ["--rows", "100000", "--repeat", "1"],
    ),
    Bench(
        "mixed_fit",
        "Random-intercept ordinal model against R clmm",
        [],
        ["--rows", "2000", "--groups", "50", "--big-rows", "0", "--coverage", "20"],
    ),
    Bench(
        "mapping",
        "Mapping raw survey-tool exports",
        [],
        ["--rows", "2000", "--columns", "100", "--read-rows", "50000", "--repeat", "1"],
    ),
    # at 100,000 rows (the script's default) the 2 x 4095 subset fits take most of an hour
    Bench("drivers", "Driver table", ["--sizes", "180", "10000"], ["--sizes", "180"]),
    Bench("shap_latent", "SHAP values on the latent scale against shap", [], ["--quick"]),
    Bench("scoring", "Scoring plans", [], ["--plans", "1000", "--repeat", "1"]),
    # the script's own defaults (300 surveys per scenario) take 15-20 minutes; the
    # results on docs/claims-calibration.md come from a full run with --replicates 400
    Bench(
        "claims_calibration",
        "Calibration of the claims' rules",
        ["--replicates", "40"],
        ["--replicates", "10", "--designs", "paper"],
    ),
    Bench(
        "few_cops_inference",
        "Coverage of the driver claims' intervals with few CoPs",
        [],
        ["--reps", "40"],
    ),
]


def supported(args: list[str], source: str) -> list[str]:
    """``args`` without the options the script does not define (with their values)."""
    out: list[str] = []
    keep = True
    for arg in args:
        if arg.startswith("--"):
            keep = f'"{arg}"' in source
        if keep:
            out.append(arg)
    return out


def machine() -> list[str]:
    """Lines describing the machine, from os and /proc (no third-party libraries)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return [
        f"- Date: {dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- CPU: {cpu}; {os.cpu_count()} logical cores ({usable} usable by this process)",
        f"- Memory: {memory} (MemTotal in /proc/meminfo)",
        f"- Load average at the start (1, 5, 15 min): {load}",
        f"- OS: {platform.platform()}",
        f"- Python {platform.python_version()}; {versions()}",
    ]


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for pkg in (
        "copfactors",
        "numpy",
        "scipy",
        "pandas",
        "scikit-learn",
        "joblib",
        "statsmodels",
        "shap",
        "dask",
        "distributed",
    ):
        try:
            out.append(f"{pkg} {version(pkg)}")
        except PackageNotFoundError:
            out.append(f"{pkg} absent")
    return ", ".join(out)


def demote(markdown: str) -> str:
    """Headings of level 1 and 2 one level down, under the page's own section headings."""
    lines = []
    for line in markdown.splitlines():
        if line.startswith(("# ", "## ")):
            line = "#" + line
        lines.append(line)
    return "\n".join(lines)


def run(bench: Bench, quick: bool, workdir: Path) -> tuple[str, bool, float]:
    """Run one benchmark; return its Markdown section body, success and wall time."""
    script = HERE / f"{bench.name}.py"
    if not script.exists():
        return f"`benchmarks/{bench.name}.py` is not in this checkout.", True, 0.0
    source = script.read_text(encoding="utf-8")
    args = supported(list(bench.quick if quick else bench.full), source)
    shown = " ".join(["python", f"benchmarks/{bench.name}.py", *args])
    md = workdir / f"{bench.name}.md"
    writes_markdown = '"--markdown"' in source
    cmd = [sys.executable, str(script), *args]
    if writes_markdown:
        cmd += ["--markdown", str(md)]
    print(f"== {shown}", file=sys.stderr, flush=True)
    out_path, err_path = workdir / f"{bench.name}.out", workdir / f"{bench.name}.err"
    start = time.perf_counter()
    with out_path.open("w") as out, err_path.open("w") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, cwd=ROOT)
        # wait4: the largest peak resident memory of the script and its reaped children
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    stdout, stderr = out_path.read_text(), err_path.read_text()
    head = (
        f"Command: `{shown}` ({seconds:.0f} s in all; largest peak RSS of the script and the "
        f"processes it waited for: {usage.ru_maxrss / 1024:,.0f} MB)\n\n"
    )
    if code != 0:
        tail = "\n".join((stderr or stdout).strip().splitlines()[-15:])
        return head + f"FAILED (exit {code}):\n\n```text\n{tail}\n```\n", False, seconds
    if writes_markdown and md.exists() and md.read_text().strip():
        body = demote(md.read_text().strip())
    else:
        body = "```text\n" + stdout.strip() + "\n```"
    return head + body + "\n", True, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter settings everywhere")
    parser.add_argument("--only", nargs="+", choices=[b.name for b in BENCHES])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    benches = [b for b in BENCHES if not args.only or b.name in args.only]

    header = machine()
    mode = "--quick" if args.quick else "full settings"
    intro = [
        "# Benchmarks",
        "",
        f"Written by `python benchmarks/run_all.py{' --quick' if args.quick else ''}` "
        f"({mode}). Timings depend on the machine and on what else runs on it: compare rows "
        "of one run, not runs. Earlier full-size runs with commentary (ordinal fits at "
        "1,000,000 rows against R) are in `benchmarks-recorded.md`; "
        "how to run copfactors on a cluster is in `cluster.md`.",
        "",
        "## Machine",
        "",
        *header,
        "",
    ]
    sections: list[str] = []
    ok_all = True
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for k, bench in enumerate(benches):
            body, ok, seconds = run(bench, args.quick, Path(tmp))
            ok_all &= ok
            print(f"   {'ok' if ok else 'FAILED'} in {seconds:.0f} s", file=sys.stderr)
            sections.append(f"## {bench.title}\n\n{body}")
            # the page is rewritten after each benchmark, so an interrupted run keeps its results
            pending = [f"## {b.title}\n\nNot run yet.\n" for b in benches[k + 1 :]]
            page = "\n".join([*intro, *sections, *pending]).rstrip() + "\n"
            args.output.write_text(page, encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
