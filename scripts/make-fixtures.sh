#!/usr/bin/env bash
# Generates the import test fixtures in tests/fixtures/import/ with each format's own library
# (python-docx, python-pptx, openpyxl, reportlab, xlwt, odfpy, msoffcrypto-tool, Pillow), from
# scripts/make-fixtures.py, which then reads every file back (pypdf and xlrd only for that). The generated files are committed; run this again after changing the
# script: `bash scripts/make-fixtures.sh`. The libraries are pinned so that a rerun writes the
# same files (as far as each library allows; see tests/fixtures/import/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=target/fixtures-venv
PACKAGES=(
  "python-docx==1.2.0"
  "python-pptx==1.0.2"
  "openpyxl==3.1.5"
  "reportlab==4.4.10"
  "xlwt==1.3.0"
  "odfpy==1.4.1"
  "msoffcrypto-tool==6.1.0"
  "Pillow==12.2.0"
  # Only to read the files back after writing them (the script checks each one):
  "pypdf==7.1.1"
  "xlrd==2.0.2"
)
# The venv is rebuilt whenever this list changes.
STAMP="${PACKAGES[*]}"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.fixtures-stamp" 2>/dev/null)" != "$STAMP" ]; then
  echo "==> installing the fixture generators into $VENV"
  if ! python3 -c 'import ensurepip' 2>/dev/null; then
    # Debian splits venv support out of python3.
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO=sudo; fi
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  fi
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "${PACKAGES[@]}"
  echo "$STAMP" > "$VENV/.fixtures-stamp"
fi

"$VENV/bin/python" scripts/make-fixtures.py "$@"
