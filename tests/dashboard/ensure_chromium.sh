#!/usr/bin/env bash
# Debian's Chromium and the Noto CJK fonts for the dashboard's browser tests (idempotent).
# Installs only what is missing; exits non-zero, loudly, when it cannot.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
fc-list 2>/dev/null | grep -q "Noto Sans CJK" || missing+=(fonts-noto-cjk)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure_chromium: need root to apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "ensure_chromium: installing ${missing[*]} from Debian's packages" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
[ -x /usr/bin/chromium ] || { echo "ensure_chromium: /usr/bin/chromium still missing" >&2; exit 1; }
