#!/bin/sh
# screenshot.sh DIR [WIDTH] — renders DIR/index.html (the page that
# `go run ./benchmarks report --out DIR` writes) in headless Chromium and
# saves the whole page as DIR/report.png. The page needs no network.
#
# Chromium is not needed to build, test or run Whorl, only here. On Debian:
#     apt-get update && apt-get install -y chromium
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 DIR [WIDTH]   (DIR holds index.html; writes DIR/report.png)" >&2
	exit 2
fi
dir=$1
width=${2:-1400}
page="$dir/index.html"
if [ ! -f "$page" ]; then
	echo "$0: $page not found: run go run ./benchmarks report --out $dir SET... first" >&2
	exit 1
fi

browser=""
for b in chromium chromium-browser google-chrome google-chrome-stable; do
	if command -v "$b" >/dev/null 2>&1; then
		browser=$b
		break
	fi
done
if [ -z "$browser" ]; then
	echo "$0: no Chromium found. On Debian: apt-get update && apt-get install -y chromium" >&2
	exit 1
fi

abs=$(cd "$dir" && pwd)
# Chromium's --screenshot captures the window, not the whole page: the
# window is made as tall as the page, estimated from the page itself (the
# plots sit two to a row at 1400 px, about 365 px a row; a table row is
# about 24 px). REPORT_HEIGHT overrides the estimate.
height=${REPORT_HEIGHT:-}
if [ -z "$height" ]; then
	rows=$(awk '/class="plots"/ { n = gsub(/<svg /, "&"); r += int((n + 1) / 2) } END { print r + 0 }' "$page")
	trs=$(grep -o '<tr>' "$page" | wc -l)
	height=$((900 + rows * 365 + trs * 24))
fi
rm -f "$abs/report.png" # a stale screenshot must not pass for a new one
"$browser" --headless --disable-gpu --no-sandbox --hide-scrollbars \
	--screenshot="$abs/report.png" --window-size="$width,$height" \
	"file://$abs/index.html" >/dev/null 2>&1
if [ ! -s "$abs/report.png" ]; then
	echo "$0: $browser wrote no screenshot" >&2
	exit 1
fi
echo "wrote $abs/report.png (${width}x$height)"
