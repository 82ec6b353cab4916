#!/usr/bin/env bash
# Screenshots of a copfactors HTML report, to look at it: the whole page at 1280 px wide (a
# desktop) and at 390 px wide (a phone, emulated as a mobile device), with headless Chromium
# driven by selenium (the `test` extra).
#
# usage: scripts/screenshot.sh [REPORT_HTML] [OUT_DIR]
#   REPORT_HTML  default: the demo report, made by `copfactors demo` in a temporary folder
#   OUT_DIR      default: the current folder; writes report-1280.png and report-390.png
#
# Environment: PYTHON (default .venv/bin/python if it exists, else python3), CHROMIUM (default
# /usr/bin/chromium), CHROMEDRIVER (default /usr/bin/chromedriver). The driver's path is given
# explicitly, so selenium never downloads one; the browser runs offline, with no network
# services, sync or updates (the report is self-contained).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-}"
if [[ -z "$python" ]]; then
    if [[ -x "$root/.venv/bin/python" ]]; then python="$root/.venv/bin/python"; else python=python3; fi
fi
chromium="${CHROMIUM:-/usr/bin/chromium}"
chromedriver="${CHROMEDRIVER:-/usr/bin/chromedriver}"
for exe in "$chromium" "$chromedriver"; do
    if [[ ! -x "$exe" ]]; then
        echo "error: $exe not found (Debian: apt-get install -y chromium chromium-driver)" >&2
        exit 1
    fi
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

report="${1:-}"
if [[ -z "$report" ]]; then
    "$python" -c 'import sys; from copfactors.demo import run_demo; run_demo(sys.argv[1])' \
        "$tmp/demo" >/dev/null
    report="$tmp/demo/report.html"
elif [[ ! -f "$report" ]]; then
    echo "error: $report does not exist" >&2
    exit 1
fi
out="${2:-.}"
mkdir -p "$out"

"$python" - "$report" "$out" "$chromium" "$chromedriver" "$tmp/profile" <<'PY'
import base64
import sys
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

report, out, chromium, chromedriver, profile = sys.argv[1:]
options = webdriver.ChromeOptions()
options.binary_location = chromium
for flag in (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
):
    options.add_argument(flag)
driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
try:
    for width, height in ((1280, 800), (390, 844)):
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
        )
        driver.get(Path(report).resolve().as_uri())
        full_w, full_h = driver.execute_script(
            "const d = document.documentElement; return [d.scrollWidth, d.scrollHeight];"
        )
        shot = driver.execute_cdp_cmd(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": full_w, "height": full_h, "scale": 1},
            },
        )
        path = Path(out).resolve() / f"report-{width}.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        note = "" if full_w <= width else f", {full_w - width} px wider than the window"
        print(f"{path} ({full_w} x {full_h} px{note})")
finally:
    driver.quit()
PY
