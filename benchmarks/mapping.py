"""Benchmark: mapping raw survey-tool exports onto the codebook.

Two measurements, each against its peer in the same run:

1. ``propose_mapping`` on a raw export of ``--rows`` rows x ``--columns`` columns (the 55
   codebook questions with survey-tool headers and text answers, plus tool metadata and extra
   questions up to the width), against ``pandas.read_csv`` of the same file. Target: under 5 s
   at 10,000 x 200.
2. ``read_survey(path, mapping=...)`` on ``--read-rows`` rows (Google Forms layout: text
   answers, full question text as headers), against ``pandas.read_csv`` of the same file (best
   of ``--repeat`` alternating runs). Target: a ratio of at most 3.

The answers are SIMULATED (``make_survey``, parametric mode, repeated to the size asked).
Run with ``python benchmarks/mapping.py`` (about a minute on two cores).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, table
from read_validate import best_of

import copfactors as cf
from copfactors.datasets import write_example_export


def grow(raw: Path, folder: Path, rows: int, columns: int | None, header_rows: int) -> Path:
    """The export ``raw`` repeated to ``rows`` data rows (and padded to ``columns``), as CSV.

    The respondent ids (the column the proposed mapping takes as ``respondent_id``) are made
    unique again, so that the grown survey is valid.
    """
    table = pd.read_csv(raw, header=None, dtype=str, keep_default_na=False)
    head, body = table.iloc[:header_rows], table.iloc[header_rows:]
    reps = int(np.ceil(rows / len(body)))
    body = pd.concat([body] * reps, ignore_index=True).iloc[:rows]
    raw_table = cf.read_table(raw)
    proposed = cf.propose_mapping(raw_table)
    ids = [e.source for e in proposed.entries if e.target == "respondent_id"]
    if ids:
        k = list(raw_table.columns).index(ids[0])
        body[k] = [f"{v}-{i}" for i, v in enumerate(body[k])]
    if columns is not None and columns > table.shape[1]:
        rng = np.random.default_rng(7)
        for k in range(table.shape[1], columns):
            extra = [f"Q{k}_other"] + [""] * (header_rows - 1)
            head[k] = extra[:header_rows]
            body[k] = rng.choice(["alpha", "beta", "gamma", ""], size=len(body))
    out = folder / f"grown_{rows}_{raw.name}"
    pd.concat([head, body], ignore_index=True).to_csv(out, header=False, index=False)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--columns", type=int, default=200)
    parser.add_argument("--read-rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--markdown", type=Path, default=None)
    args = parser.parse_args(argv)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        qualtrics = grow(
            write_example_export(folder, "qualtrics"), folder, args.rows, args.columns, 3
        )
        start = time.perf_counter()
        pd.read_csv(qualtrics, header=None, dtype=str)
        t_read = time.perf_counter() - start
        start = time.perf_counter()
        raw = cf.read_table(qualtrics)
        t_table = time.perf_counter() - start
        start = time.perf_counter()
        proposed = cf.propose_mapping(raw)
        t_map = time.perf_counter() - start
        rows.append(
            {
                "step": f"propose_mapping, {args.rows:,} x {raw.shape[1]} (Qualtrics)",
                "copfactors s": t_map,
                "peer": "pandas.read_csv",
                "peer s": t_read,
                "ratio": t_map / t_read,
            }
        )
        rows.append(
            {
                "step": "read_table (3 header rows)",
                "copfactors s": t_table,
                "peer": "pandas.read_csv",
                "peer s": t_read,
                "ratio": t_table / t_read,
            }
        )
        forms = grow(write_example_export(folder, "google_forms"), folder, args.read_rows, None, 1)
        mapping = cf.propose_mapping(cf.read_table(forms.with_name("google_forms_export.csv")))
        t_pandas, t_mapped = best_of(
            args.repeat,
            lambda: pd.read_csv(forms),
            lambda: cf.read_survey(forms, mapping=mapping),
        )
        rows.append(
            {
                "step": f"read_survey(mapping=), {args.read_rows:,} rows (Google Forms)",
                "copfactors s": t_mapped,
                "peer": "pandas.read_csv",
                "peer s": t_pandas,
                "ratio": t_mapped / t_pandas,
            }
        )
    lines = [
        "# Mapping raw exports",
        "",
        f"`python benchmarks/mapping.py --rows {args.rows} --columns {args.columns} "
        f"--read-rows {args.read_rows}`; SIMULATED answers. Targets: propose_mapping under 5 s "
        f"at 10,000 x 200 ({len(proposed.entries)} columns here); read_survey with a mapping "
        "at most 3x pandas.read_csv.",
        "",
        table(rows),
    ]
    emit(lines, args.markdown)


if __name__ == "__main__":
    main()
