"""Benchmark a set of priors: held-out NLL vs the noise floor (density priors), the denoising check, training throughput.

    python3 tools/bench_priors.py toy                  # the priors shipped with the package
    python3 tools/bench_priors.py runs/toy_score --n 32 --threads 2

Held-out examples come from the toy generator with a seed no training run uses (training draws
batches from seeds derived from (seed, rank, step)); the denoising check starts at the truth plus
N(0, 0.1^2) and anneals to sigma = 0.01 under the prior alone (see nbs/16_prior_checks.ipynb).
"""
import argparse
import copy
import time

import pandas as pd
import torch

from deep_sep_priors.data.toy import SOURCE_NAMES, ToyConfig, toy_sources
from deep_sep_priors.metrics import si_sdr
from deep_sep_priors.prior_checks import denoising_check, heldout_nll, noise_floor, training_throughput
from deep_sep_priors.priors import load_priors

HELD_OUT_SEED = 20261125


def main(argv=None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("priors", help="a shipped prior set name (e.g. toy) or a folder of *.pt checkpoints")
    parser.add_argument("--n", type=int, default=32, help="held-out examples per class")
    parser.add_argument("--length", type=int, default=16384, help="samples per held-out example")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--batch", type=int, default=16, help="batch size of the throughput measurement")
    args = parser.parse_args(argv)
    if args.threads: torch.set_num_threads(args.threads)
    rows = []
    for source, prior in load_priors(args.priors).items():
        if source not in SOURCE_NAMES: raise SystemExit(f"{source!r} is not a toy class; this benchmark uses toy data")
        cfg = ToyConfig(sample_rate=prior.info.sample_rate, segment_length=args.length, sources=(source,))
        clean = toy_sources(args.n, cfg, seed=HELD_OUT_SEED)[:, 0]
        t0 = time.perf_counter()
        dn = denoising_check(prior, clean, batch_size=8)
        row = {"source": source, "kind": prior.kind, "params (k)": sum(p.numel() for p in prior.parameters()) / 1e3,
               "train steps": prior.metadata.get("steps"), "train hours": round(prior.metadata.get("train_seconds", 0) / 3600, 2),
               "denoise SI-SDR mean": dn.mean().item(), "denoise SI-SDR min": dn.min().item(), "denoise s": time.perf_counter() - t0}
        with torch.no_grad():  # one Tweedie step at sigma = 0.1: the prior's own posterior mean
            noisy = clean + 0.1 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(0))
            row["noisy SI-SDR"] = si_sdr(noisy, clean).mean().item()
            row["Tweedie@0.1 SI-SDR"] = torch.cat([si_sdr(n + 0.01 * prior.score(n, 0.1), c) for n, c in zip(noisy.split(8), clean.split(8))]).mean().item()
        if prior.has_log_prob:
            row["NLL@0.01"] = heldout_nll(prior, clean, 0.01)
            row["floor@0.01"] = noise_floor(0.01)
            row["gap"] = row["NLL@0.01"] - row["floor@0.01"]
        batch = toy_sources(args.batch, ToyConfig(sample_rate=prior.info.sample_rate, segment_length=prior.info.segment_length, sources=(source,)), seed=1)[:, 0]
        row["train ex/s"] = training_throughput(copy.deepcopy(prior), batch)
        rows.append(row)
        print(pd.DataFrame([row]).round(2).to_string(index=False), flush=True)
    table = pd.DataFrame(rows).set_index("source").round(2)
    print(f"\n{args.priors}: {args.n} held-out examples of {args.length} samples per class, torch threads {torch.get_num_threads()}")
    print(table.to_string())
    return table


if __name__ == "__main__":
    main()
