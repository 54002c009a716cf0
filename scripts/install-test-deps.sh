#!/usr/bin/env bash
# Installs what the tests need besides npm packages: Orthanc (the PACS in integration tests),
# dcmtk (storescu, storescp, dcmcjpeg...), dicom3tools (dciodvfy), numpy and scipy for the
# Python/TypeScript parity test of training/, Debian's chromium for the console's browser tests
# (driven by playwright-core; no downloaded browser), and makes sure PostgreSQL runs.
set -euo pipefail

packages=(orthanc dcmtk dicom3tools python3-numpy python3-scipy chromium)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's orthanc package may start its own service on the standard ports; tests use their own.
if pgrep -x Orthanc >/dev/null && [ -f /etc/orthanc/orthanc.json ] && command -v service >/dev/null; then
  service orthanc stop >/dev/null 2>&1 || true
fi

database_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  fi
fi
pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not reachable at 127.0.0.1:5432 ($database_url)" >&2; exit 1; }
echo "test dependencies ready: $(Orthanc --version 2>/dev/null | head -n 1), $(storescu --version 2>/dev/null | head -n 1), PostgreSQL at 127.0.0.1:5432"
