"""Benchmark: reading and validating a large survey CSV against reading it with pandas alone.

Writes a survey of ``--rows`` respondents (every codebook column, valid values, fixed seed) to a
temporary CSV, then times ``pandas.read_csv`` and ``copfactors.read_survey`` on the same file
(best of ``--repeat`` alternating runs) and prints both times and their ratio. The target is a
ratio of at most 2: validation should cost no more than the parsing itself.

Run with ``python benchmarks/read_validate.py`` (about a minute for 1,000,000 rows).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from copfactors import read_survey
from copfactors.schema import CODEBOOK


def make_valid_survey(n_rows: int, seed: int = 20030) -> pd.DataFrame:
    """A survey of ``n_rows`` respondents with every codebook column and valid values."""
    rng = np.random.default_rng(seed)
    n_cops = max(1, n_rows // 25)
    t2 = rng.random(n_rows) < 0.6
    data: dict[str, object] = {}
    for var in CODEBOOK:
        if var.name == "respondent_id":
            data[var.name] = [f"r{i:07d}" for i in range(n_rows)]
        elif var.name == "cop_id":
            data[var.name] = pd.Series(rng.integers(0, n_cops, n_rows)).map(lambda k: f"cop{k:05d}")
        elif var.name == "responded_t1":
            data[var.name] = np.ones(n_rows, dtype=bool)
        elif var.name == "responded_t2":
            data[var.name] = t2
        elif var.type == "boolean":
            data[var.name] = rng.random(n_rows) < 0.5
        elif var.type == "category":
            values = np.array(var.categories, dtype=object)[
                rng.integers(0, len(var.categories), n_rows)
            ]
            values[rng.random(n_rows) < 0.02] = None
            data[var.name] = values
        elif var.type == "likert":
            values = pd.array(rng.integers(1, 6, n_rows), dtype="Int64")
            if var.role == "attainment":
                values[~t2] = pd.NA
            data[var.name] = values
        elif var.type == "integer":
            data[var.name] = rng.integers(0, 4, n_rows)
        elif var.type == "float":
            data[var.name] = np.round(rng.gamma(2.0, 0.4, n_rows) * 4) / 4
        elif var.name == "professional_category":
            data[var.name] = np.array(["nurse", "engineer", "teacher", "manager", "social worker"])[
                rng.integers(0, 5, n_rows)
            ]
        else:
            data[var.name] = np.array(["Knowledge Forum", "Lotus Notes", "in-house software"])[
                rng.integers(0, 3, n_rows)
            ]
    return pd.DataFrame(data)


def best_of(repeat: int, *funcs) -> list[float]:
    """Best time of each function over ``repeat`` rounds, run in turn so that load on the
    machine weighs on all of them alike."""
    best = [float("inf")] * len(funcs)
    for _ in range(repeat):
        for k, func in enumerate(funcs):
            start = time.perf_counter()
            func()
            best[k] = min(best[k], time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "survey.csv"
        start = time.perf_counter()
        make_valid_survey(args.rows).to_csv(path, index=False)
        size = path.stat().st_size / 1e6
        print(
            f"wrote {args.rows:,} rows x {len(CODEBOOK)} columns ({size:.0f} MB) "
            f"in {time.perf_counter() - start:.1f} s"
        )
        t_pandas, t_survey = best_of(
            args.repeat, lambda: pd.read_csv(path), lambda: read_survey(path)
        )
    print(f"pandas.read_csv          : {t_pandas:6.2f} s (best of {args.repeat})")
    print(f"copfactors.read_survey   : {t_survey:6.2f} s (best of {args.repeat})")
    print(f"ratio read_survey / read_csv: {t_survey / t_pandas:.2f} (target <= 2)")


if __name__ == "__main__":
    main()
