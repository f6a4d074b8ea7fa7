#!/usr/bin/env bash
# Installs the system libraries Diffuse links against (Debian 12 packages).
# Idempotent: does nothing when they are already installed. Needs root (or sudo).
set -euo pipefail

packages=(pkg-config libopenblas-dev libsndfile1-dev
          libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
    echo "install: system libraries present"
    exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "install: apt-get install ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
