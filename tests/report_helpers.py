"""One analysis of the example survey (SIMULATED), shared by the report and demo tests.

The full pipeline takes several seconds; the tests that only read its result share this one
run (cached for the test session) instead of each running it again.
"""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser

from copfactors.datasets import load_example_survey
from copfactors.htmlreport import ReportBundle, build
from copfactors.pipeline import AnalysisResult, run_analysis

EXAMPLE_LABEL = "the example survey shipped with copfactors (example_survey.csv)"


@functools.lru_cache(maxsize=1)
def example_result() -> AnalysisResult:
    """The whole pipeline on the example survey, run once per test session."""
    # fewer orderings for the sampled relative importance than the demo's 20: the tests read
    # the result's structure, not the third decimal of a share
    return run_analysis(
        load_example_survey(),
        source_label=EXAMPLE_LABEL,
        simulated=True,
        n_jobs=1,
        importance_samples=10,
    )


@functools.lru_cache(maxsize=1)
def example_bundle() -> ReportBundle:
    """The rendered report of :func:`example_result`, rendered once per test session."""
    return build(example_result())


class Page(HTMLParser):
    """The parts of an HTML page the report tests look at."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.tags: list[str] = []
        self.images: list[str] = []
        self.refs: list[tuple[str, str, str]] = []
        self.text_parts: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name == "id" and value:
                self.ids.append(value)
            if name in ("src", "href", "srcset", "action", "data", "poster") and value:
                self.refs.append((tag, name, value))
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.text_parts))
