#!/usr/bin/env bash
# Install what tools/browser_check.py needs to render the widgets in a real browser. Idempotent.
#   bash tools/install_browser.sh
#   python3 tools/browser_check.py --out /tmp/browser_check.png
# Installs Debian's chromium (and chromium-driver, for Selenium users) with apt-get, and JupyterLab + Playwright from PyPI.
# Playwright drives Debian's /usr/bin/chromium (`executable_path`): no `playwright install`, no browser download.
# Kept out of settings.ini's dev_requirements on purpose: Playwright's wheel carries a ~165 MB Node.js driver and
# JupyterLab pulls in a server stack, neither used by the tests, the docs or the library.
# Environment:
#   PYTHON   interpreter to install into (default: python3)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

# 1. Chromium from Debian's packages (the only browser this project's machines can install).
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    echo "install_browser.sh: installing Debian's chromium and chromium-driver"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
  else
    echo "install_browser.sh: chromium not found; install Chromium (or Chrome) and pass its path to browser_check.py --chromium" >&2
    exit 1
  fi
fi

# 2. JupyterLab (ipywidgets' lab extension, jupyterlab_widgets, comes with the package's ipywidgets) and Playwright.
"$PY" -m pip install --quiet --disable-pip-version-check "jupyterlab>=4,<5" "playwright>=1.40"
"$PY" -c "import jupyterlab, playwright; from playwright._repo_version import version; print(f'install_browser.sh: jupyterlab {jupyterlab.__version__}, playwright {version}')"
chromium --version
