#!/usr/bin/env bash
# Install deep_sep_priors (editable) with everything its notebooks, tests and docs need. Idempotent.
#   bash tools/install.sh
# Environment:
#   PYTHON      interpreter to install into (default: python3)
#   TORCH_SPEC  torch to install when none is importable yet (default: torch==2.13.0, the CPU build
#               this project's machines carry). An existing torch, e.g. a GPU server's CUDA build,
#               is always kept: requirements only ask for torch>=2.1.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

# 1. FFmpeg: `musdb` (through stempeg) refuses to import without ffmpeg/ffprobe on PATH, even for wav data.
if ! command -v ffmpeg >/dev/null 2>&1 || ! command -v ffprobe >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    echo "install.sh: installing Debian's ffmpeg"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null
  else
    echo "install.sh: ffmpeg/ffprobe not found; install FFmpeg (conda install ffmpeg, brew install ffmpeg, ...) and rerun" >&2
    exit 1
  fi
fi

# 2. torch: keep whatever build is installed (CUDA on a GPU server); otherwise the pinned CPU build.
if ! "$PY" -c "import torch" >/dev/null 2>&1; then
  echo "install.sh: no torch found, installing ${TORCH_SPEC:-torch==2.13.0}"
  "$PY" -m pip install --quiet "${TORCH_SPEC:-torch==2.13.0}"
fi

# 3. The package itself (editable) with the dev extras: nbdev 2, test and docs tools.
"$PY" -m pip install --quiet --disable-pip-version-check -e ".[dev]"
"$PY" -c "import torch, deep_sep_priors; print(f'install.sh: deep_sep_priors {deep_sep_priors.__version__}, torch {torch.__version__}, CUDA available: {torch.cuda.is_available()}')"
