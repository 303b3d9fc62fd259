"""Diffusion on the first N validation toy mixes (seed 555, 4096 samples, one thread): assigned and permutation-invariant SI-SDR
and the fraction of sources >= 10 dB, per mix, as CSV. Run it from two checkouts (PYTHONPATH) and compare the files to A/B a change:

    PYTHONPATH=/path/to/old/checkout python3 tools/ab_diffusion.py 24 old.csv
    python3 tools/ab_diffusion.py 24 new.csv
    python3 tools/ab_diffusion.py --compare old.csv new.csv      # paired means and bootstrap 95% intervals
"""
import itertools
import sys
import time

import numpy as np
import pandas as pd
import torch

import deep_sep_priors
from deep_sep_priors.core import limit_threads
from deep_sep_priors.data.toy import ToyConfig, toy_test_set
from deep_sep_priors.evaluate import VALIDATION_SEED
from deep_sep_priors.metrics import si_sdr
from deep_sep_priors.priors import load_priors
from deep_sep_priors.separate.registry import get_method


def measure(n: int, out: str) -> None:
    priors, method = load_priors("toy"), get_method("diffusion")
    mix, sources = toy_test_set(n, ToyConfig(segment_length=4096), seed=VALIDATION_SEED)
    rows = []
    with limit_threads(1):
        for i in range(n):
            t = time.perf_counter()
            est = method.run(mix[i:i + 1], priors, None, torch.Generator().manual_seed(i))[0]
            s = si_sdr(est, sources[i])
            pi = max(si_sdr(est[list(p)], sources[i]).mean().item() for p in itertools.permutations(range(len(priors))))
            rows.append({"mix": i, "assigned": s.mean().item(), "pi": pi, "frac10": (s >= 10).float().mean().item(), "seconds": time.perf_counter() - t})
            print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    table.to_csv(out, index=False)
    print(deep_sep_priors.__file__, table[["assigned", "pi", "frac10"]].mean().round(2).to_dict())


def compare(old: str, new: str) -> None:
    a, b = pd.read_csv(old), pd.read_csv(new)
    rng = np.random.default_rng(0)
    for k in ("assigned", "pi", "frac10"):
        d = (b[k] - a[k]).to_numpy()
        lo, hi = np.percentile([rng.choice(d, len(d)).mean() for _ in range(10000)], [2.5, 97.5])
        print(f"{k:9} old {a[k].mean():6.2f}  new {b[k].mean():6.2f}  new - old {d.mean():+.2f}  95% [{lo:+.2f}, {hi:+.2f}]  ({len(d)} mixes)")
    print(f"mixes whose assigned SI-SDR moved by more than 3 dB: {int(((b.assigned - a.assigned).abs() > 3).sum())} of {len(a)}")


if __name__ == "__main__":
    if sys.argv[1] == "--compare": compare(sys.argv[2], sys.argv[3])
    else: measure(int(sys.argv[1]), sys.argv[2])
