#!/usr/bin/env bash
# Install the Debian packages scimaudit needs when they are missing; explain when we cannot.
#   poppler-utils  pdftotext/pdftoppm read evidence PDFs back in tests
#   chromium       the dashboard's end-to-end tests drive it headless (never a downloaded browser)
#   libpango*      weasyprint renders PDFs with pango
#   nodejs, npm    run SCIMMY, the independent SCIM implementation used as a test peer
#   fonts-liberation  the evidence packs' print CSS names Liberation Sans first; without it text
#                  reflows in DejaVu and pages differ from one machine to the next
#   faketime       CI runs the date-sensitive suites with the clock moved 400 days ahead
set -euo pipefail
missing=()
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
[ -x /usr/bin/chromium ] || missing+=(chromium)
ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' || missing+=(libpango-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so' || missing+=(libpangoft2-1.0-0)
fc-list 2>/dev/null | grep -qi dejavu || missing+=(fonts-dejavu-core)
fc-list 2>/dev/null | grep -qi 'Liberation Sans' || missing+=(fonts-liberation)
command -v faketime >/dev/null 2>&1 || missing+=(faketime)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
if [ "$(id -u)" -ne 0 ]; then
  echo "scimaudit needs these Debian packages: ${missing[*]}" >&2
  echo "Install them as root:  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
