"""The demo report (report.html) in a real browser: headless Chromium driven by selenium.

Checks what an HTML parser cannot: the page loads without console errors, every figure decodes,
the page never scrolls sideways (on a desktop and on a phone), the SIMULATED banner is in the
first screen, and the headings form an outline (one h1, no level skipped).

The browser is Debian's ``chromium`` and ``chromium-driver`` at fixed paths, so that selenium
never looks for (or downloads) a driver. Without them the module is skipped, unless
``COPFACTORS_REQUIRE_BROWSER=1`` is set (as in CI), in which case it fails.
"""

from __future__ import annotations

import os
from itertools import pairwise
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REQUIRE_ENV = "COPFACTORS_REQUIRE_BROWSER"

#: Window sizes (CSS px) the page is checked at: a desktop and a phone.
DESKTOP = (1280, 800)
PHONE = (390, 844)
SIZES = {"desktop": DESKTOP, "phone": PHONE}


def _require_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if not missing:
        return
    reason = (
        f"browser tests need Debian's chromium and chromium-driver: {', '.join(missing)} not "
        "found (apt-get install -y --no-install-recommends chromium chromium-driver)"
    )
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}; {REQUIRE_ENV}=1 forbids skipping", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """The demo report, written once for the module."""
    from copfactors.demo import run_demo

    return run_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    """Headless Chromium, offline: no network services, updates or sync."""
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
        f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=str(CHROMEDRIVER))
    drv = webdriver.Chrome(service=service, options=options)
    try:
        yield drv
    finally:
        drv.quit()


def _mobile(size: tuple[int, int]) -> bool:
    return size[0] < 600


def _open(driver, report: Path, size: tuple[int, int]) -> None:
    """Load the report with a viewport of ``size`` (a phone is emulated as a mobile device)."""
    width, height = size
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": _mobile(size)},
    )
    driver.get_log("browser")  # drop what an earlier page logged
    driver.get(report.as_uri())
    # a desktop's window is innerWidth wide (its scrollbar included); a phone's layout viewport
    # is the device width (clientWidth: its innerWidth grows when it zooms out of a page wider
    # than the screen, which test_page_does_not_scroll_sideways reports)
    inner, client = driver.execute_script(
        "return [[window.innerWidth, window.innerHeight],"
        " [document.documentElement.clientWidth, document.documentElement.clientHeight]];"
    )
    measured = client if _mobile(size) else inner
    assert measured == [width, height], f"asked for a {size} viewport, the page has {measured}"


@pytest.fixture(params=list(SIZES), ids=list(SIZES))
def page(request, driver, report):
    """The report open in the browser, at each window size; yields the size."""
    size = SIZES[request.param]
    _open(driver, report, size)
    return size


# the elements that stick out of the page on the right, outermost first, ignoring what scrolls
# inside its own container (a wide table in its scrolling wrapper is fine)
_OVERFLOW_JS = """
const limit = document.documentElement.clientWidth + 1;
const clipped = (el) => {
  for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    if (getComputedStyle(p).overflowX !== 'visible') return true;
  }
  return false;
};
const sticks = (el) => el.getBoundingClientRect().right > limit && !clipped(el);
const out = [];
for (const el of document.body.querySelectorAll('*')) {
  if (!sticks(el) || (el.parentElement && sticks(el.parentElement))) continue;
  const r = el.getBoundingClientRect();
  const name = [el.parentElement, el].filter(Boolean).map(e => e.tagName.toLowerCase()
    + (e.id ? '#' + e.id : '') + (e.classList.length ? '.' + [...e.classList].join('.') : '')
  ).join(' > ');
  const text = (el.textContent || '').replace(/\\s+/g, ' ').trim().slice(0, 60);
  out.push({name: name, right: Math.round(r.right), width: Math.round(r.width), text: text});
}
out.sort((a, b) => b.right - a.right);
return {
  scroll: document.documentElement.scrollWidth,
  client: document.documentElement.clientWidth,
  offenders: out.slice(0, 8),
};
"""


def test_no_console_errors(driver, page):
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, "console errors:\n" + "\n".join(e["message"] for e in errors)


def test_every_image_decodes_and_has_alt_text(driver, page, report):
    images = driver.execute_script(
        "return [...document.images].map(i => ({id: i.closest('figure')?.id || '',"
        " complete: i.complete, width: i.naturalWidth, alt: (i.alt || '').trim()}));"
    )
    written = sorted(p.stem for p in report.parent.glob("*.png"))
    assert written, "the demo wrote no figure"
    assert sorted(i["id"].removeprefix("fig-") for i in images) == written
    broken = [i["id"] for i in images if not (i["complete"] and i["width"] > 0)]
    assert not broken, f"images not decoded: {broken}"
    no_alt = [i["id"] for i in images if not i["alt"]]
    assert not no_alt, f"images without alt text: {no_alt}"
    bare = driver.execute_script(
        "return [...document.querySelectorAll('figure')]"
        ".filter(f => ![...f.querySelectorAll('img')].some(i => i.alt.trim()))"
        ".map(f => f.id);"
    )
    assert not bare, f"figures without an image with alt text: {bare}"


def test_page_does_not_scroll_sideways(driver, page):
    found = driver.execute_script(_OVERFLOW_JS)
    rows = "\n".join(
        f"  {o['name']}: right edge {o['right']} px, width {o['width']} px ({o['text']!r})"
        for o in found["offenders"]
    )
    assert found["scroll"] <= found["client"] + 1, (
        f"at {page[0]} px the page is {found['scroll']} px wide "
        f"({found['scroll'] - found['client']} px too wide); widest offending elements:\n{rows}"
    )
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight];")
    assert inner == list(page), f"the browser zoomed out to {inner} for a {page} window"


def test_wide_tables_scroll_inside_their_wrapper(driver, report):
    # on a phone the wide tables are wider than the screen: they scroll in their own box
    _open(driver, report, PHONE)
    wraps = driver.execute_script(
        "return [...document.querySelectorAll('table')].map(t => {"
        " const w = t.parentElement; return {cls: w.className,"
        " overflow: getComputedStyle(w).overflowX, inner: w.scrollWidth, outer: w.clientWidth};"
        "});"
    )
    assert wraps, "the report has no table"
    assert all("table-wrap" in w["cls"] for w in wraps), wraps
    assert all(w["overflow"] in ("auto", "scroll") for w in wraps), wraps
    assert any(w["inner"] > w["outer"] for w in wraps), "no table is wider than a phone"
    assert all(w["outer"] <= PHONE[0] for w in wraps)


def test_simulated_banner_is_in_the_first_screen(driver, page):
    from selenium.webdriver.common.by import By

    banner = driver.find_element(By.CSS_SELECTOR, ".banner")
    assert banner.is_displayed()
    assert "SIMULATED DATA" in banner.text
    rect = driver.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        " return {top: r.top, bottom: r.bottom, width: r.width, height: r.height,"
        " vh: window.innerHeight};",
        banner,
    )
    assert rect["width"] > 0 and rect["height"] > 0, rect
    assert 0 <= rect["top"] < rect["vh"], rect


def test_headings_form_an_outline(driver, page):
    levels = driver.execute_script(
        "return [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')]"
        ".map(h => [Number(h.tagName[1]), h.textContent.trim()]);"
    )
    assert levels and levels[0][0] == 1, f"the first heading is not h1: {levels[:1]}"
    assert [lvl for lvl, _ in levels].count(1) == 1, "more than one h1"
    skips = [f"h{a} {ta!r} -> h{b} {tb!r}" for (a, ta), (b, tb) in pairwise(levels) if b > a + 1]
    assert not skips, "heading levels skipped:\n" + "\n".join(skips)
    empty = [f"h{lvl}" for lvl, text in levels if not text]
    assert not empty, f"empty headings: {empty}"
