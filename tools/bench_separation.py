"""The separation benchmark: a separator's cost per one-second mix beside the BASIS reference schedule, in one process on the same mixes.

It runs a method (default: diffusion, with `--set` options) on the first `--n` one-second toy validation mixes (seed VALIDATION_SEED,
the shipped priors), one mix at a time, at each thread count of `--threads`, and the BASIS schedule on the first `--reference-n` of them.
One row per (configuration, threads):

    evals/mix     prior-set evaluations per mix (every prior's `score` / `log_prob` counts its rows; a set evaluation = rows / n_priors)
    per prior     rows per mix of each prior, in the set's order
    GFLOP/eval    matmul/conv FLOPs of one set evaluation on a 1-s segment (torch.utils.flop_counter.FlopCounterMode; elementwise ops not counted)
    GFLOP/mix     the evaluations' FLOPs per mix (scaled by the segment lengths actually evaluated); separator work outside the priors not counted
    GFLOP/s       GFLOP/mix / s/mix: what the run achieved
    s/mix         wall seconds per 1-s mix (mean over the mixes; a batch's time is shared by its mixes; CUDA synchronised); with --repeat R,
                  the median over the R passes over the mixes (this shared CPU drifts by 20-40 % within minutes: one pass can land in a slow phase)
    x real time   the real-time factor: seconds of audio separated per second, 1 / s/mix (start-up, e.g. loading a network, excluded)
    x range       with --repeat: the slowest and the fastest pass's real-time factor
    BASIS/this    the BASIS row's s/mix over this row's, at the same thread count
    bound s       the FLOP-bound time: GFLOP/mix / this machine's peak (a large torch.mm in the run's dtype, at that thread count)
    RSS MB        the process's peak resident memory so far (resource.getrusage); on CUDA also the peak allocated GPU memory of the row
    SI-SDR        mean SI-SDR (dB) of the estimates against the true sources, a sanity check (not a quality benchmark at a few mixes)

BASIS (Jayaram & Thickstun 2020, jthickstun/basis-separation `ncsn/runners/cifar_runner.py`): annealed Langevin from noise, 10
geometric levels, 100 steps per level of size delta * sigma^2 / sigma_L^2 with delta = 3e-5, a Gaussian mix likelihood of weight
1 / sigma^2, no final denoising step, one particle. Their levels are their NCSN prior's trained ones, 1.0 down to 0.01; here the top
level is the priors' largest trained one (80 for the toy priors, 1.0 for toy_flow) and the last 0.01. Their start is uniform noise;
here it is N(0, sigma_max^2) (`init="noise"`). `--reference-set` changes it (e.g. sigma_max=1.0, or steps_per_level=10 on a CPU).

    python3 tools/bench_separation.py --n 1 --threads 1 --set n_levels=5 mask.steps=5 --reference-n 1
    python3 tools/bench_separation.py --device cuda --n 4 --threads 1 [--bf16]
    python3 tools/bench_separation.py --method elbo --set posterior=toy/distilled --n 16 --threads 1 --no-reference   # the learned separator's real-time factor
    python3 tools/bench_separation.py --method elbo --set posterior=toy/fast --n 512 --repeat 5 --threads 1 --no-reference   # the same, median of 5 passes
    python3 tools/bench_separation.py --method elbo --set posterior=toy/fast --versus posterior=toy/fast_v2 --n 512 --repeat 5 --threads 1 --no-reference
        # two networks in turns, pass by pass: the fair comparison on a CPU whose speed drifts
"""
from __future__ import annotations

import argparse
import contextlib
import platform
import resource
import statistics
import sys
import time

import pandas as pd
import torch
from torch.utils.flop_counter import FlopCounterMode

from deep_sep_priors.core import console_errors, limit_threads, parse_overrides, resolve_device
from deep_sep_priors.data.toy import ToyConfig, toy_test_set
from deep_sep_priors.evaluate import VALIDATION_SEED
from deep_sep_priors.metrics import si_sdr
from deep_sep_priors.priors import PriorSet, load_priors
from deep_sep_priors.separate.registry import get_method

SECOND = 16000  # samples of a one-second mix at the toy priors' rate
BASIS = {"sampler": "langevin", "init": "noise", "n_levels": 10, "steps_per_level": 100, "sigma_min": 0.01, "rho": None,
         "delta": 3e-5, "likelihood_scale": 1.0, "noise": True, "particles": 1, "final_denoise": False, "project": False}
COUNTED = ("score", "log_prob")  # the prior entry points every separator goes through


def basis_options(priors: PriorSet, overrides: dict | None = None) -> dict:
    "The diffusion method's options of the BASIS schedule for `priors` (from their largest trained level), updated by `overrides`."
    return {**BASIS, "sigma_max": priors.sigma_max, **(overrides or {})}


def machine(device: torch.device) -> str:
    "The processor (and GPU) this runs on, in words."
    cpu = platform.processor() or platform.machine()
    try: cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration): pass
    gpu = f"; GPU {torch.cuda.get_device_name(device)}" if device.type == "cuda" else ""
    return f"CPU {cpu} ({torch.get_num_threads()} torch threads by default){gpu}"


def sync(device: torch.device) -> None:
    if device.type == "cuda": torch.cuda.synchronize(device)


def peak_gflops(device: torch.device, dtype: torch.dtype, size: int = 4096, seconds: float = 1.0) -> float:
    "This machine's matmul peak: the best GFLOP/s of a `size` x `size` `torch.mm` in `dtype` (after a warm-up, repeated for about `seconds`)."
    a, b = (torch.randn(size, size, device=device).to(dtype) for _ in range(2))
    torch.mm(a, b); sync(device)
    best, spent = float("inf"), 0.0
    while spent < seconds or best == float("inf"):
        t = time.perf_counter(); torch.mm(a, b); sync(device)
        dt = time.perf_counter() - t
        best, spent = min(best, dt), spent + dt
    return 2 * size**3 / best / 1e9


def gflop_per_sample(priors: PriorSet, bf16: bool) -> dict:
    "`{(prior, entry point): GFLOP per evaluated sample}`, measured on one 1-s evaluation of each prior (it also warms them up)."
    device, out = priors.device, {}
    for name, p in priors.items():
        x = (p.info.rms or 0.5) * torch.randn(1, SECOND, generator=torch.Generator().manual_seed(0)).to(device)
        for attr in COUNTED:
            if attr == "log_prob" and not p.has_log_prob: continue
            with torch.no_grad(), autocast(device, bf16), FlopCounterMode(display=False) as fc: getattr(p, attr)(x, 0.1)
            out[name, attr] = fc.get_total_flops() / 1e9 / SECOND
    return out


def autocast(device: torch.device, bf16: bool):
    return torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()


@contextlib.contextmanager
def counting(priors: PriorSet):
    "Inside, every prior's `score` and `log_prob` add the rows and samples they evaluate to the yielded `{(prior, entry point): [rows, samples]}`."
    counts = {(name, attr): [0, 0] for name in priors for attr in COUNTED}
    def counted(fn, c):
        def wrapper(x, *args, **kwargs):
            c[0] += x.shape[0]; c[1] += x.shape[0] * x.shape[-1]
            return fn(x, *args, **kwargs)
        return wrapper
    for name, p in priors.items():
        for attr in COUNTED: p.__dict__[attr] = counted(getattr(p, attr), counts[name, attr])  # on the instance, not the class
    try: yield counts
    finally:
        for p in priors.values():
            for attr in COUNTED: p.__dict__.pop(attr, None)


def measure(entries: list[tuple[str, str, dict]], priors: PriorSet, mix, sources, flops: dict, peak: float, threads: int, bf16: bool,
            batch: int = 1, repeat: int = 1) -> list[dict]:
    """One row per `(label, method_name, options)` of `entries` on the mixes of `mix` `(n, time)`, `batch` at a time (seed i for the batch
    from mix i), `repeat` passes (their median). The entries take turns pass by pass, so that the CPU's drift hits them alike."""
    device, n, k = priors.device, mix.shape[0], len(priors)
    runs = []
    for label, method_name, options in entries:
        method = get_method(method_name)
        config = method.make_config(options, priors)
        method.prepare(priors, config)  # one-time work (dictionaries, networks) is not timed
        runs.append({"label": label, "method": method, "config": config, "passes": [], "scores": [], "counts": {}})
    if device.type == "cuda": torch.cuda.reset_peak_memory_stats(device)
    for r in range(repeat):
        for run in runs:
            seconds = 0.0
            with counting(priors) as counts:  # this pass's evaluations, added to the run's below
                for i in range(0, n, batch):
                    m, s = mix[i:i + batch], sources[i:i + batch]
                    sync(device); t = time.perf_counter()
                    with autocast(device, bf16):
                        est = run["method"].run(m, priors, run["config"], torch.Generator().manual_seed(i), truth=s if run["method"].needs_truth else None)
                    sync(device); seconds += time.perf_counter() - t
                    if r == 0: run["scores"] += si_sdr(est.float().cpu(), s.cpu()).mean(-1).tolist()
            run["passes"].append(seconds / n)
            for key, c in counts.items(): run["counts"][key] = [a + b for a, b in zip(run["counts"].get(key, [0, 0]), c)]
    rows = []
    for run in runs:
        got = run["counts"]
        per_prior = {name: sum(got[name, a][0] for a in COUNTED) / n / repeat for name in priors}
        gflop_mix = sum(c[1] * flops.get(key, 0.0) for key, c in got.items()) / n / repeat
        s = statistics.median(run["passes"])
        row = {"config": run["label"], "threads": threads, "mixes": n, "batch": batch, "evals/mix": sum(per_prior.values()) / k,
               "per prior": "/".join(f"{r:g}" for r in per_prior.values()), "GFLOP/eval": sum(flops[name, "score"] for name in priors) * SECOND,
               "GFLOP/mix": gflop_mix, "GFLOP/s": gflop_mix / s, "s/mix": s, "x real time": 1 / s, "bound s": gflop_mix / peak,
               "RSS MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "SI-SDR": sum(run["scores"]) / n}
        if repeat > 1: row["x range"] = f"{1 / max(run['passes']):.4g}-{1 / min(run['passes']):.4g}"
        if device.type == "cuda": row["GPU MB"] = torch.cuda.max_memory_allocated(device) / 2**20
        rows.append(row)
    return rows


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="bench_separation", description=__doc__.split("\n\n")[0])
    p.add_argument("--method", default="diffusion", help="the registered method to benchmark (default: diffusion)")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="its options, e.g. n_levels=30 mask.steps=50")
    p.add_argument("--versus", nargs="*", action="append", default=[], metavar="KEY=VALUE",
                   help="another configuration of the same method (repeatable), timed in turns with --set pass by pass, e.g. --versus posterior=toy/fast_v2")
    p.add_argument("--n", type=int, default=4, help="one-second validation mixes for the method (default: 4)")
    p.add_argument("--batch", type=int, default=1, help="mixes separated together (default 1; seconds are per mix, the batch's time over its mixes)")
    p.add_argument("--repeat", type=int, default=1, help="passes over the mixes; s/mix is their median (default 1)")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="torch and BLAS thread counts to run at (default: 1 2)")
    p.add_argument("--no-reference", action="store_true", help="skip the BASIS reference schedule")
    p.add_argument("--reference-n", type=int, default=1, help="mixes for BASIS, the first of the same ones (default: 1; ~1000 set evaluations a mix)")
    p.add_argument("--reference-set", nargs="*", default=[], metavar="KEY=VALUE", help="changes to the BASIS options, e.g. steps_per_level=10")
    p.add_argument("--priors", default="toy", help="a shipped prior set or a folder of checkpoints (default: toy)")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ... (default: cpu)")
    p.add_argument("--bf16", action="store_true", help="run the separations under torch.autocast(device, dtype=torch.bfloat16)")
    p.add_argument("--peak-size", type=int, default=4096, help="matrix size of the peak measurement (default: 4096)")
    with console_errors(p, argv) as args:
        if min(args.n, args.batch, args.repeat, *args.threads) < 1 or args.reference_n < 0: raise ValueError("--n, --batch, --repeat and --threads must be >= 1, --reference-n >= 0")
        device = resolve_device(args.device)
        priors = load_priors(args.priors, map_location=device)
        options, basis = parse_overrides(args.set), basis_options(priors, parse_overrides(args.reference_set))
        versus = [parse_overrides(v) for v in args.versus]
        for o in (options, *versus): get_method(args.method).make_config(o)  # bad options fail before any work
        n_ref = 0 if args.no_reference else min(args.reference_n, args.n)
        mix, sources = toy_test_set(args.n, ToyConfig(sample_rate=priors.sample_rate, segment_length=SECOND), seed=VALIDATION_SEED)
        mix, sources = mix.to(device), sources.to(device)
        dtype = torch.bfloat16 if args.bf16 else torch.float32
        print(f"torch {torch.__version__}; device {device}; {machine(device)}; threads {' '.join(map(str, args.threads))}; "
              f"{'bf16 autocast' if args.bf16 else 'fp32'}")
        print(f"{args.n} one-second toy validation mixes (seed {VALIDATION_SEED}), priors {args.priors!r}: {', '.join(f'{k} ({v.kind})' for k, v in priors.items())}")
        print(f"{args.method} options: {options or 'defaults'}")
        if n_ref: print(f"BASIS ({n_ref} mix{'es' if n_ref > 1 else ''}): {basis}")
        flops = gflop_per_sample(priors, args.bf16)
        print("GFLOP per 1-s evaluation: " + ", ".join(f"{name}.{attr} {g * SECOND:.3f}" for (name, attr), g in flops.items()))
        rows = []
        for threads in args.threads:
            with limit_threads(threads):
                peak = peak_gflops(device, dtype, args.peak_size)
                print(f"threads {threads}: peak {peak:.1f} GFLOP/s ({str(dtype).removeprefix('torch.')} mm {args.peak_size}^2)", flush=True)
                todo = [[(f"{args.method} {' '.join(words)}".strip(), args.method, o) for words, o in zip((args.set, *args.versus), (options, *versus))]]
                if n_ref: todo.append([("BASIS" + (f" {' '.join(args.reference_set)}" if args.reference_set else ""), "diffusion", basis)])
                added = 0
                for entries, n in zip(todo, (args.n, n_ref)):
                    print(f"  running {', '.join(e[0] for e in entries)} on {n} mix{'es' if n > 1 else ''} ...", file=sys.stderr, flush=True)
                    new_rows = measure(entries, priors, mix[:n], sources[:n], flops, peak, threads, args.bf16, args.batch, args.repeat)
                    for r in new_rows: r["peak GFLOP/s"] = peak
                    rows += new_rows; added += len(new_rows)
                ref = rows[-1]["s/mix"] if n_ref else None
                for r in rows[-added:]: r["BASIS/this"] = ref / r["s/mix"] if ref else float("nan")
        table = pd.DataFrame(rows).set_index(["config", "threads"])
        order = ["mixes", "batch", "evals/mix", "per prior", "GFLOP/eval", "GFLOP/mix", "GFLOP/s", "s/mix", "x real time", "x range", "BASIS/this", "bound s", "peak GFLOP/s", "RSS MB", "GPU MB", "SI-SDR"]
        with pd.option_context("display.width", 250, "display.max_columns", 30, "display.float_format", lambda v: f"{v:.4g}" if abs(v) < 1e4 else f"{v:.0f}"):
            print(table[[c for c in order if c in table]].to_string())


if __name__ == "__main__":
    main()
