#!/usr/bin/env bash
# Installs what the tests need besides npm packages: Orthanc (the PACS in integration tests),
# dcmtk (storescu, storescp, dcmcjpeg...), dicom3tools (dciodvfy), numpy and scipy for the
# Python/TypeScript parity test of training/, Debian's chromium for the console's browser tests
# (driven by playwright-core; no downloaded browser), Mesa's software Vulkan device (lavapipe) for
# the WebGPU inference test, and makes sure PostgreSQL runs.
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

# onnxruntime-node's WebGPU provider (Dawn) needs Vulkan features that lavapipe has from Mesa 23 on;
# Debian 12 ships 22.3, its backports 25. The backports source is made from the system's own.
mesa_version=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || echo 0)
if ! dpkg --compare-versions "$mesa_version" ge 23; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  mesa_target=()
  if [ "$(. /etc/os-release && echo "${VERSION_CODENAME:-}")" = bookworm ]; then
    awk 'BEGIN { RS = ""; ORS = "\n\n" } NR == 1' /etc/apt/sources.list.d/debian.sources \
      | sed 's/^Suites: .*/Suites: bookworm-backports/' | $sudo_cmd tee /etc/apt/sources.list.d/ctprep-backports.sources >/dev/null
    mesa_target=(-t bookworm-backports)
  fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${mesa_target[@]}" mesa-vulkan-drivers libvulkan1 >/dev/null
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
