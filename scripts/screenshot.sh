#!/usr/bin/env bash
# Render a copfactors HTML report to a PNG with headless Chromium, to look at it.
#
# usage: scripts/screenshot.sh [REPORT_HTML] [OUT_PNG] [WIDTHxHEIGHT]
#   REPORT_HTML  default: copfactors-demo/report.html (made by `copfactors demo` if missing)
#   OUT_PNG      default: report-screenshot.png
#   SIZE         default: 1280x4000
# The report is self-contained: the browser runs offline, with no network, sync or updates.
set -euo pipefail

report="${1:-copfactors-demo/report.html}"
out="${2:-report-screenshot.png}"
size="${3:-1280x4000}"

if [[ ! -f "$report" ]]; then
    if [[ "$report" == "copfactors-demo/report.html" ]]; then
        copfactors demo --out copfactors-demo >/dev/null
    else
        echo "error: $report does not exist" >&2
        exit 1
    fi
fi

browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
if [[ -z "$browser" ]]; then
    echo "error: no chromium found (Debian: apt-get install -y chromium)" >&2
    exit 1
fi

profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
abs_report="$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"
abs_out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"

"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run \
    --user-data-dir="$profile" --window-size="${size/x/,}" \
    --screenshot="$abs_out" "file://$abs_report" >/dev/null 2>&1

echo "$abs_out"
