#!/usr/bin/env bash
# GPU readiness, the one script to run when a CUDA machine is lent (about 5 minutes); everything it prints also goes to OUT.txt:
#   bash tools/gpu_check.sh OUT.txt
# 1. tests/test_cuda.py on the GPU (every separator and evaluation row, the shipped priors, bf16 autocast, every prior kind's training with amp);
# 2. tools/bench_separation.py --device cuda on a few one-second mixes beside BASIS, fp32 then --bf16;
# 3. training throughput of the toy score prior (configs/toy_score.yaml) through the package's loop (`training.fit`), amp off and on.
# Without CUDA it prints one line and exits 0. Each step has a time limit; the exit status is 1 if any step failed.
# Environment:
#   DSP_TEST_DEVICE         run everything on this device instead (e.g. cpu: a dry run of the script itself)
#   BENCH_ARGS              the benchmark's options (default: --n 4 --threads 1 --reference-n 1)
#   DSP_THROUGHPUT_SECONDS  seconds per throughput measurement (default: 7.5; four of them: batch 16 and 64, amp off and on)
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
OUT=${1:?usage: bash tools/gpu_check.sh OUT.txt}
DEVICE=${DSP_TEST_DEVICE:-cuda}
BENCH_ARGS=${BENCH_ARGS:---n 4 --threads 1 --reference-n 1}
SECONDS_EACH=${DSP_THROUGHPUT_SECONDS:-7.5}

if [ "$DEVICE" = cuda ] && ! "$PY" -c "import sys, torch; sys.exit(not torch.cuda.is_available())" 2>/dev/null; then
  echo "gpu_check: no CUDA GPU here (torch $("$PY" -c 'import torch; print(torch.__version__)' 2>/dev/null || echo 'not importable')); nothing checked" | tee "$OUT"
  exit 0
fi

failed=()
step() {  # step NAME LIMIT_S COMMAND...: run it under a time limit, note a failure and go on
  local name=$1 limit=$2; shift 2
  echo; echo "== $name ($(date +%T), limit ${limit} s)"
  timeout "$limit" "$@"; local rc=$?
  [ "$rc" = 0 ] || { echo "== $name: FAILED (exit $rc$([ "$rc" = 124 ] && echo ', time limit'))"; failed+=("$name"); }
}

# examples per second of the toy score prior's training steps on a device, amp off and on: python3 -c "$THROUGHPUT" DEVICE SECONDS
read -r -d '' THROUGHPUT <<'PY'
import dataclasses, sys, time
import torch
from deep_sep_priors.train import BatchSource, TrainConfig, build_prior
from deep_sep_priors.training import fit

def train_throughput(device: str, batch_size: int, amp: bool, seconds: float) -> float:
    "Training examples per second of the toy score prior through `fit` (AdamW, clipping, EMA, guards) on fixed batches, for about `seconds`."
    cfg = TrainConfig.from_sources("configs/toy_score.yaml", [f"optim.batch_size={batch_size}", f"run.amp={amp}", f"run.device={device}"])
    data = BatchSource(cfg)
    batches = [data.batch(s) for s in range(4)]  # made once: this measures the model and the loop, not the toy synthesiser
    def run(steps: int) -> float:
        torch.manual_seed(0)
        optim = dataclasses.replace(cfg.optim, steps=steps, warmup=0)
        if device.startswith("cuda"): torch.cuda.synchronize()
        t = time.perf_counter()
        fit(build_prior(cfg), lambda model, x, step: model(x), lambda step: batches[step % 4], optim, cfg.run, device=device, progress=False)
        if device.startswith("cuda"): torch.cuda.synchronize()
        return time.perf_counter() - t
    per_step = run(5) / 5  # also the warm-up (CUDA context, kernels)
    steps = max(5, round(seconds / per_step))
    return steps * batch_size / run(steps)

device, seconds = sys.argv[1], float(sys.argv[2])
if device.startswith("cuda"): print(f"GPU {torch.cuda.get_device_name(device)}; torch {torch.__version__}, CUDA {torch.version.cuda}")
cfg = TrainConfig.from_sources("configs/toy_score.yaml")
data = BatchSource(cfg)
t = time.perf_counter(); n = sum(data.batch(s).shape[0] for s in range(20))
print(f"toy synthesiser (what dsp-train-prior draws every step, on the CPU): {n / (time.perf_counter() - t):.0f} examples/s of {cfg.data.segment_length} samples")
for batch_size in (16, 64):
    for amp in (False, True):
        print(f"toy score prior, batch {batch_size} x {cfg.data.segment_length}, amp {'on (bf16)' if amp else 'off (fp32)'}: "
              f"{train_throughput(device, batch_size, amp, seconds):.0f} examples/s", flush=True)
PY

main() {
  echo "gpu_check on $DEVICE, $(date -Is), $(git rev-parse --short HEAD 2>/dev/null || echo 'no git')$(git diff --quiet 2>/dev/null || echo ' (working tree changed)')"
  [ "$DEVICE" = cuda ] && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null
  step "pytest tests/test_cuda.py" 200 env DSP_TEST_DEVICE="$DEVICE" "$PY" -m pytest tests/test_cuda.py -m cuda -q -n 0 -p no:cacheprovider
  # shellcheck disable=SC2086  # BENCH_ARGS is a list of options
  step "bench_separation fp32" 100 "$PY" tools/bench_separation.py --device "$DEVICE" $BENCH_ARGS
  # shellcheck disable=SC2086
  step "bench_separation bf16" 100 "$PY" tools/bench_separation.py --device "$DEVICE" --bf16 $BENCH_ARGS
  step "training throughput" 120 "$PY" -c "$THROUGHPUT" "$DEVICE" "$SECONDS_EACH"
  echo
  if [ ${#failed[@]} = 0 ]; then echo "gpu_check: all steps passed"; else echo "gpu_check: FAILED: ${failed[*]}"; return 1; fi
}

main 2>&1 | tee "$OUT"
exit "${PIPESTATUS[0]}"
