#!/usr/bin/env bash
# WebGPU for the tests on a machine without a GPU: Debian's Vulkan loader (libvulkan1) and Mesa's lavapipe, a CPU
# Vulkan driver, from bookworm-backports (Mesa 25.x: bookworm's own 22.3 lacks a feature Dawn requires).
# Idempotent: does nothing when lavapipe from Mesa >= 25 is installed already. Not Debian, or no root: says so
# and leaves it (the WebGPU tests then skip, with the reason).
set -euo pipefail
mesa_major() { dpkg-query -W -f '${Version}' mesa-vulkan-drivers 2>/dev/null | cut -d. -f1; }
if [ -e /usr/share/vulkan/icd.d/lvp_icd.json ] && [ "$(mesa_major || echo 0)" -ge 25 ] 2>/dev/null; then
  echo "install-vulkan: lavapipe from Mesa $(dpkg-query -W -f '${Version}' mesa-vulkan-drivers) already installed"
  exit 0
fi
if ! grep -qs 'VERSION_CODENAME=bookworm' /etc/os-release; then
  echo "install-vulkan: not Debian bookworm; install libvulkan1 and Mesa >= 25 lavapipe yourself for the WebGPU tests"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-vulkan: not root and no sudo: the WebGPU tests will skip"
    exit 0
  fi
fi
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' |
    $SUDO tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  -t bookworm-backports libvulkan1 mesa-vulkan-drivers >/dev/null
echo "install-vulkan: installed lavapipe from Mesa $(dpkg-query -W -f '${Version}' mesa-vulkan-drivers)"
