"""Validation sweeps of a separator on toy mixes: per mix the assigned and permutation-invariant SI-SDR, the fractions of sources
>= 10 dB, the best assignment, prior-set evaluations and seconds, as CSV; `--compare` gives paired differences with bootstrap intervals.
Defaults are chosen with it on validation mixes only (seed 555); the test set (seed 1234) is scored once, by `dsp-evaluate`.

    python3 tools/sweep.py runs/base.csv --n 32 --length 16000                       # the diffusion method's defaults
    python3 tools/sweep.py runs/fork.csv --n 32 --length 16000 --set mask.assign_step=30 mask.n_fft=2048
    python3 tools/sweep.py runs/clf.csv --n 32 --set mask.n_fft=2048 "mask.classify_steps=[30,100]" classify_final=true
    python3 tools/sweep.py --compare runs/base.csv runs/fork.csv                    # paired means and 95% intervals
    python3 tools/sweep.py runs/b.csv --start 16 --n 16                              # mixes 16-31 only (same mixes and seeds as in a full sweep)
    python3 tools/sweep.py runs/raw.csv --set classify_final=false --save runs/raw.pt   # also keep the estimates, e.g. to study final labelling offline
    python3 tools/sweep.py runs/music.csv --priors synth --root runs/synth/valid --cuts-per-track 3 --length 32000   # music: seeded cuts of a wav root's test songs
"""
import argparse
import json
import time

import pandas as pd
import torch

from deep_sep_priors.core import console_errors, parse_overrides
from deep_sep_priors.data.musdb import musdb_test_batch
from deep_sep_priors.data.toy import ToyConfig, toy_test_set
from deep_sep_priors.evaluate import VALIDATION_SEED
from deep_sep_priors.metrics import bootstrap_interval, permutation_invariant_si_sdr, si_sdr
from deep_sep_priors.priors import load_priors
from deep_sep_priors.separate.registry import get_method

from bench_separation import counting  # the benchmark's evaluation counter (tools/ is this script's first import path)


def measure(args) -> None:
    priors, method = load_priors(args.priors), get_method(args.method, separator=True)
    config = method.make_config(parse_overrides(args.set), priors)
    if args.root: mix, sources, _ = musdb_test_batch(args.root, args.length / priors.sample_rate, args.cuts_per_track, args.seed, priors.sample_rate, priors.names)
    else: mix, sources = toy_test_set(args.start + args.n, ToyConfig(sample_rate=priors.sample_rate, segment_length=args.length, sources=tuple(priors.names)), seed=args.seed)
    if args.start + args.n > len(mix): raise ValueError(f"--start {args.start} --n {args.n}: only {len(mix)} mixes")
    rows, kept = [], []
    torch.set_num_threads(args.threads)
    method.prepare(priors, config)
    for i in range(args.start, args.start + args.n, args.batch):
        m, s = mix[i:i + args.batch], sources[i:i + args.batch]
        with counting(priors) as counts:
            t = time.perf_counter()
            est = method.run(m, priors, config, torch.Generator().manual_seed(i))
        seconds, evals = (time.perf_counter() - t) / len(m), sum(c[0] for c in counts.values()) / len(m) / len(priors)
        assigned, (pi, perm) = si_sdr(est, s), permutation_invariant_si_sdr(est, s)
        if args.save: kept.append(est.cpu())
        for j in range(len(m)):
            rows.append({"mix": i + j, "assigned": assigned[j].mean().item(), "pi": pi[j].mean().item(), "frac10": (assigned[j] >= 10).float().mean().item(),
                         "pi_frac10": (pi[j] >= 10).float().mean().item(), "perm": "".join(map(str, perm[j].tolist())), "evals": evals, "seconds": seconds,
                         **{f"assigned_{name}": assigned[j, k].item() for k, name in enumerate(priors.names)}})
            print(json.dumps(rows[-1]), flush=True)
    table = pd.DataFrame(rows)
    table.to_csv(args.out, index=False)
    if args.save:
        torch.save({"mix": mix[args.start:], "sources": sources[args.start:], "estimates": torch.cat(kept), "first_mix": args.start,
                    "seed": args.seed, "set": args.set, "names": list(priors.names)}, args.save)
    lo, hi = bootstrap_interval(table.assigned) if len(table) > 1 else (float("nan"),) * 2
    print("per source:", ", ".join(f"{name} {table[f'assigned_{name}'].mean():.2f}" for name in priors.names))
    print(f"{args.set or 'defaults'}: assigned {table.assigned.mean():.2f} [{lo:.2f}, {hi:.2f}] median {table.assigned.median():.2f}, "
          f"PI {table.pi.mean():.2f}, frac10 {table.frac10.mean():.2f}, evals {table.evals.mean():.0f}, s/mix {table.seconds.mean():.1f} ({args.threads} threads, batch {args.batch})")


def compare(old: str, new: str) -> None:
    a, b = pd.read_csv(old), pd.read_csv(new)
    if list(a.mix) != list(b.mix): raise ValueError(f"{old} and {new} score different mixes")
    for k in ("assigned", "pi", "frac10"):
        d = (b[k] - a[k]).to_numpy()
        lo, hi = bootstrap_interval(d)
        print(f"{k:9} old {a[k].mean():6.2f}  new {b[k].mean():6.2f}  new - old {d.mean():+.2f}  95% [{lo:+.2f}, {hi:+.2f}]  ({len(d)} mixes)")
    print(f"mixes whose assigned SI-SDR moved by more than 3 dB: {int(((b.assigned - a.assigned).abs() > 3).sum())} of {len(a)}")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="sweep.py", description=__doc__.split("\n\n")[0])
    p.add_argument("out", nargs="?", help="CSV file to write (one row per mix)")
    p.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"), help="compare two CSV files of the same mixes instead")
    p.add_argument("--method", default="diffusion")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="the method's options, e.g. mask.assign_step=30")
    p.add_argument("--priors", default="toy")
    p.add_argument("--n", type=int, default=32, help="mixes (default 32)")
    p.add_argument("--start", type=int, default=0, help="index of the first mix (default 0): split a sweep over processes, e.g. --start 16 --n 16")
    p.add_argument("--length", type=int, default=16000, help="samples per mix (default 16000: 1 s)")
    p.add_argument("--seed", type=int, default=VALIDATION_SEED, help=f"mixes' seed (default {VALIDATION_SEED}, the validation set)")
    p.add_argument("--batch", type=int, default=8, help="mixes separated together (default 8; seconds are per mix)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--root", help="instead of toy mixes: cuts of the test songs of this wav root (MUSDB18-HQ layout, e.g. dsp-make-synth's); --seed seeds the cuts")
    p.add_argument("--cuts-per-track", type=int, default=3, help="with --root: cuts per song (default 3)")
    p.add_argument("--save", metavar="FILE.pt", help="also save the mixes, true sources and estimates (torch.save) to this file")
    with console_errors(p, argv) as args:
        if args.compare: compare(*args.compare)
        elif not args.out: raise ValueError("give an output CSV file, or --compare OLD NEW")
        else: measure(args)


if __name__ == "__main__":
    main()
