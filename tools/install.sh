#!/usr/bin/env bash
# Install deep_sep_priors (editable) with everything its notebooks, tests and docs need. Idempotent.
#   bash tools/install.sh
# Environment:
#   PYTHON      interpreter to install into (default: python3)
#   TORCH_SPEC  torch to install when none is importable yet (default: torch==2.13.0, the CPU build
#               this project's machines carry). An existing torch, e.g. a GPU server's CUDA build,
#               is always kept: requirements only ask for torch>=2.1.
#   DSP_SOUNDFONT  a General MIDI .sf2 to use instead of a Debian soundfont (then none is installed)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

# 1. Debian packages, each only when its command or file is missing:
#    - FFmpeg: `musdb` (through stempeg) refuses to import without ffmpeg/ffprobe on PATH, even for wav data;
#    - FluidSynth and a General MIDI soundfont (TimGM6mb, 6 MB): `deep_sep_priors.data.synth` renders its synthetic
#      multitrack set with them (`fluid-soundfont-gm`, 140 MB, sounds better and is used when installed);
#    - a second, different GM soundfont (csound's sf_GMbank, 4 MB): test tracks rendered with other instruments than the
#      priors heard in training, the generalisation check of the synthetic multitrack priors (`dsp-make-synth --soundfont`).
apt_install() {  # apt_install WHAT PACKAGE...
  local what=$1; shift
  if command -v apt-get >/dev/null 2>&1; then
    local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "install.sh: installing Debian's $*"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  else
    echo "install.sh: $what not found and no apt-get to install Debian's $*; install it (conda, brew, ...) and rerun" >&2
    exit 1
  fi
}
if ! command -v ffmpeg >/dev/null 2>&1 || ! command -v ffprobe >/dev/null 2>&1; then apt_install ffmpeg/ffprobe ffmpeg; fi
missing=()
command -v fluidsynth >/dev/null 2>&1 || missing+=(fluidsynth)
gm=""; for f in /usr/share/sounds/sf2/{FluidR3_GM,TimGM6mb,default-GM}.sf2; do [ -f "$f" ] && gm=$f; done  # what find_soundfont looks for
[ -n "$gm" ] || [ -n "${DSP_SOUNDFONT:-}" ] || missing+=(timgm6mb-soundfont)
[ -f /usr/share/sounds/sf2/sf_GMbank.sf2 ] || missing+=(csound-soundfont)
if [ ${#missing[@]} -gt 0 ]; then apt_install "FluidSynth / a GM soundfont" "${missing[@]}"; fi

# 2. torch: keep whatever build is installed (CUDA on a GPU server); otherwise the pinned CPU build.
if ! "$PY" -c "import torch" >/dev/null 2>&1; then
  echo "install.sh: no torch found, installing ${TORCH_SPEC:-torch==2.13.0}"
  "$PY" -m pip install --quiet "${TORCH_SPEC:-torch==2.13.0}"
fi

# 3. The package itself (editable) with the dev extras: nbdev 2, test and docs tools.
"$PY" -m pip install --quiet --disable-pip-version-check -e ".[dev]"
"$PY" -c "import torch, deep_sep_priors; print(f'install.sh: deep_sep_priors {deep_sep_priors.__version__}, torch {torch.__version__}, CUDA available: {torch.cuda.is_available()}')"
