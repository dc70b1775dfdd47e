#!/usr/bin/env bash
# Installs what linli needs from Debian's packages, only what is missing.
# Usage: scripts/install-deps.sh [--browser]   (--browser adds chromium for UI tests)
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config git
      libboost-dev libsqlite3-dev libpq-dev libsodium-dev libspdlog-dev libfmt-dev
      libcli11-dev nlohmann-json3-dev zlib1g-dev libgtest-dev libgmock-dev
      postgresql unzip nginx
      clang-16 libclang-rt-16-dev  # make fuzz (libFuzzer; clang 14 cannot compile std::expected)
      wrk curl)                    # make soak
if [[ "${1:-}" == "--browser" ]]; then pkgs+=(chromium fonts-noto-cjk); fi
if [[ "${1:-}" == "--bench" ]]; then pkgs+=(wrk jq bc curl sqlite3 valgrind time); fi  # make bench (time: bench/import.sh peak RSS)
command -v node >/dev/null 2>&1 || pkgs+=(nodejs npm)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "==> installing: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
