#!/usr/bin/env bash
# Screenshot of an exod HTML report with headless Chromium (Debian package `chromium`).
#
#   scripts/screenshot_report.sh REPORT.html OUT.png [WIDTHxHEIGHT]
#
# WIDTHxHEIGHT defaults to 1280x2400 (the window; the page below it is cut). The report is
# self-contained, so no network is used. If chromium is missing and we are root, it is installed
# with apt-get; otherwise the script says how to install it.
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: $0 REPORT.html OUT.png [WIDTHxHEIGHT]" >&2
    exit 2
fi
report=$1
out=$2
size=${3:-1280x2400}
if [ ! -f "$report" ]; then
    echo "$0: $report: no such file" >&2
    exit 1
fi
case $size in
    [0-9]*x[0-9]*) ;;
    *) echo "$0: size $size: expected WIDTHxHEIGHT, e.g. 1280x2400" >&2; exit 2 ;;
esac

browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get install -y chromium >&2
        browser=$(command -v chromium)
    else
        echo "$0: no chromium found: install it (Debian: sudo apt-get install chromium)" >&2
        exit 1
    fi
fi

abs_report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
mkdir -p "$(dirname "$out")"
abs_out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT

# --virtual-time-budget lets the (inline) sorting script run before the capture
"$browser" --headless --disable-gpu --no-sandbox --hide-scrollbars \
    --user-data-dir="$profile" --no-first-run --disable-extensions \
    --window-size="${size/x/,}" --virtual-time-budget=2000 --run-all-compositor-stages-before-draw \
    --screenshot="$abs_out" "file://$abs_report" >/dev/null 2>"$profile/chromium.log" || {
    cat "$profile/chromium.log" >&2
    exit 1
}
if [ ! -s "$abs_out" ]; then
    cat "$profile/chromium.log" >&2
    echo "$0: chromium wrote no screenshot" >&2
    exit 1
fi
echo "$abs_out"
