#!/usr/bin/env bash
# Opens a Diffuse comparison report (the index.html that `diffuse compare` writes) in a real
# headless browser and checks that it rendered: every chart (svg.chart) has a non-empty
# bounding box, every <img> decoded (naturalWidth > 0), every <audio>/<video> loaded its
# metadata, and no script error happened (issue #8, item 5).
#
#   tools/check_report_in_browser.sh REPORT_FOLDER
#       prints "report ok: N charts, M images, K media, 0 script errors" and exits 0, or one
#       line "report check failed: …" naming the first broken element and exits 1
#       (2: bad usage or no browser).
#   tools/check_report_in_browser.sh --self-test
#       checks the checker: a small good page must pass, and pages with a broken image, a
#       script error, an empty chart or a missing audio file must each fail.
#
# How: copies index.html to a temporary file with tools/check_report_in_browser.js injected
# (a `window.__reportCheck` error recorder at the top of <head>, together with a <base> so the
# report's relative paths still resolve; the checker before </body>), runs
#   chromium-headless-shell --no-sandbox --disable-gpu --dump-dom --virtual-time-budget=…
# and reads the checker's verdict (<pre id="diffuse-report-check">) from the dumped DOM.
# The browser: $CHROMIUM, else chromium-headless-shell, chromium or chromium-browser on PATH
# (Debian: `apt-get install chromium-headless-shell`).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
checker_js="$here/check_report_in_browser.js"

usage() {
    echo "usage: $0 REPORT_FOLDER | --self-test" >&2
    exit 2
}

find_browser() {
    if [[ -n "${CHROMIUM:-}" ]]; then
        command -v "$CHROMIUM" && return 0
        echo "report check failed: \$CHROMIUM=$CHROMIUM is not a program" >&2
        exit 2
    fi
    local name
    for name in chromium-headless-shell chromium chromium-browser; do
        command -v "$name" && return 0
    done
    echo "report check failed: no headless Chromium found (apt-get install chromium-headless-shell, or set CHROMIUM)" >&2
    exit 2
}

# check_page HTML_FILE: prints the verdict line, returns 0 when ok, 1 otherwise.
check_page() {
    local page=$1 folder work
    folder=$(cd "$(dirname "$page")" && pwd)
    work=$(mktemp -d "${TMPDIR:-/tmp}/diffuse-report-check.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" RETURN

    if ! grep -q '<head>' "$page" || ! grep -q '</body>' "$page"; then
        echo "report check failed: $page has no <head> or no </body>"
        return 1
    fi
    local base
    base="file://$(printf '%s/' "$folder" | sed 's/%/%25/g; s/ /%20/g; s/#/%23/g; s/?/%3F/g; s/"/%22/g')"
    {
        printf '<base href="%s">' "$base"
        printf '<script>window.__reportCheck={errors:[]};'
        printf 'window.addEventListener("error",function(e){if(e instanceof ErrorEvent)'
        printf 'window.__reportCheck.errors.push((e.message||"error")+" at "+(e.filename||"?")+":"+(e.lineno||0));},true);'
        printf 'window.addEventListener("unhandledrejection",function(e){'
        printf 'window.__reportCheck.errors.push("unhandled rejection: "+String(e.reason));});</script>\n'
    } > "$work/head.html"
    { printf '<script>\n'; cat "$checker_js"; printf '</script>\n'; } > "$work/tail.html"
    # Insert after the first <head> and before the first </body>; index()/substr() rather than
    # sub(), so nothing in the page or the snippets is read as a pattern.
    awk -v headfile="$work/head.html" -v tailfile="$work/tail.html" '
        BEGIN {
            while ((getline line < headfile) > 0) head = head line "\n"
            while ((getline line < tailfile) > 0) tail = tail line "\n"
        }
        {
            if (!h && (i = index($0, "<head>")) > 0) {
                $0 = substr($0, 1, i + 5) "\n" head substr($0, i + 6)
                h = 1
            }
            if (!b && (i = index($0, "</body>")) > 0) {
                $0 = substr($0, 1, i - 1) tail substr($0, i)
                b = 1
            }
            print
        }' "$page" > "$work/checked.html"

    local status=0
    timeout 180 "$browser" --no-sandbox --disable-gpu --headless --hide-scrollbars --mute-audio \
        --allow-file-access-from-files --autoplay-policy=no-user-gesture-required \
        --user-data-dir="$work/profile" --virtual-time-budget=30000 \
        --dump-dom "file://$work/checked.html" > "$work/dom.html" 2> "$work/browser.log" || status=$?
    local verdict
    verdict=$(grep -o '<pre id="diffuse-report-check">[^<]*</pre>' "$work/dom.html" | head -n 1 \
        | sed 's/<[^>]*>//g; s/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g; s/&#39;/'"'"'/g; s/&nbsp;/ /g; s/&amp;/\&/g' || true)
    if [[ -z "$verdict" ]]; then
        local reason="the checker gave no verdict"
        [[ $status -eq 124 ]] && reason="the browser did not finish in 180 s"
        [[ $status -ne 0 && $status -ne 124 ]] && reason="the browser exited with status $status"
        echo "report check failed: $reason ($(grep -v -e dbus -e bluez -e vaapi -e sandbox "$work/browser.log" | tail -n 1))"
        return 1
    fi
    case "$verdict" in
        ok:*) echo "report ${verdict}"; return 0 ;;
        fail:*) echo "report check failed:${verdict#fail:}"; return 1 ;;
        *) echo "report check failed: unexpected verdict: $verdict"; return 1 ;;
    esac
}

# A tiny valid PNG (1 × 1, red) and WAV (8 kHz mono 16-bit, 8 samples), for the self-test.
png_base64='iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC'
write_wav() {
    printf 'RIFF\x34\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x10\x00\x00\x00' > "$1"
    printf '\x00\x00\x00\x10\x00\x20\x00\x10\x00\x00\x00\xf0\x00\xe0\x00\xf0' >> "$1"
}

# self_test_page FILE BODY: a minimal report page with BODY.
self_test_page() {
    printf '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>t</title>\n</head>\n<body>\n%s\n</body>\n</html>\n' "$2" > "$1"
}

self_test() {
    local dir
    dir=$(mktemp -d "${TMPDIR:-/tmp}/diffuse-report-selftest.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$dir'" EXIT
    mkdir -p "$dir/cells"
    write_wav "$dir/cells/a.wav"
    local chart='<svg class="chart" viewBox="0 0 100 50" width="100" height="50"><path d="M0 0L50 40" stroke="#000"/></svg>'
    local image="<img src=\"data:image/png;base64,$png_base64\" alt=\"dot\">"
    local audio='<audio controls preload="metadata" src="cells/a.wav"></audio>'
    local failures=0 out

    self_test_page "$dir/good.html" "$chart $image $audio"
    if out=$(check_page "$dir/good.html"); then
        echo "self-test: good page passes: $out"
    else
        echo "self-test FAILED: a good page was refused: $out"
        failures=$((failures + 1))
    fi
    local name body expect
    while IFS='|' read -r name expect body; do
        self_test_page "$dir/$name.html" "$body"
        if out=$(check_page "$dir/$name.html"); then
            echo "self-test FAILED: $name was accepted: $out"
            failures=$((failures + 1))
        elif [[ "$out" != *"$expect"* ]]; then
            echo "self-test FAILED: $name failed for another reason than \"$expect\": $out"
            failures=$((failures + 1))
        else
            echo "self-test: $name fails: $out"
        fi
    done <<EOF
broken-image|broken image img "missing"|$chart $audio <img src="cells/missing.png" alt="missing">
corrupt-image|broken image img "corrupt"|$chart <img src="data:image/png;base64,iVBORw0KGgoAAAAN" alt="corrupt">
script-error|script error: |$chart $image <script>window.noSuchFunction();</script>
empty-chart|empty chart svg#e|<svg class="chart" id="e" width="100" height="50"></svg> $image
no-chart|no chart|$image
missing-audio|media error|$chart $image <audio controls preload="metadata" src="cells/missing.wav"></audio>
EOF
    if [[ $failures -gt 0 ]]; then
        echo "self-test failed: $failures case(s) wrong"
        return 1
    fi
    echo "self-test ok: the checker passes a good page and fails 6 broken ones"
}

[[ $# -eq 1 ]] || usage
browser=$(find_browser)
if [[ "$1" == "--self-test" ]]; then
    self_test
    exit $?
fi
[[ -f "$1/index.html" ]] || { echo "report check failed: $1/index.html does not exist" >&2; exit 2; }
check_page "$1/index.html"
