#!/usr/bin/env bash
# System libraries WeasyPrint needs to render letters (Pango) and the fonts letters are set in
# (DejaVu). Installs them with apt when missing and we are root; otherwise says what to install.
set -euo pipefail

packages=(libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)
missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "vorder needs Pango and DejaVu fonts for PDF letters: install ${missing[*]} (or your system's equivalent)" >&2
    exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "vorder needs these packages for PDF letters: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
echo "installing ${missing[*]} for PDF letters"
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null \
    || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
