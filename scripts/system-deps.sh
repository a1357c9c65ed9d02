#!/usr/bin/env bash
# Install what the tests need from Debian where missing: headless Chromium (browser
# tests, chart export), a CJK font (Chinese in screenshots and PDFs), poppler
# (pdftoppm/pdftotext for report tests).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-noto-cjk)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)  # PySpark (scale-out parity test)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "installing from Debian: ${need[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig >/dev/null
fc-cache -f >/dev/null 2>&1 || true
