"""The SIMULATED survey-tool exports of the mapping tests (see copfactors.datasets._exports).

Kept as a module of the tests so that they import ``from make_exports import ...``; the code
lives in the package, where ``copfactors.datasets.write_example_export`` uses it too.
As a script: ``python tests/make_exports.py FOLDER`` writes the four exports (SIMULATED) there.
"""

from __future__ import annotations

import sys
from pathlib import Path

from copfactors.datasets._exports import (  # noqa: F401
    EXPORTS,
    N_RESPONDENTS,
    NEAR_PLATFORM,
    Export,
    simulated_survey,
    write_all,
)

if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "exports")
    for export in write_all(out).values():
        print(f"wrote {export.path} ({export.tool}, SIMULATED answers)")
