"""Paired differences between two rows of a `dsp-musdb` results folder: per item the mean of a metric over the stems, then
the mean difference over the items that both rows scored, with its 95 % bootstrap interval (`bootstrap_interval`).

    python3 tools/paired_scores.py runs/synth/eval_cuts/scores.csv elbo nmf semi diffusion   # pairs: elbo - nmf, semi - diffusion
"""
import argparse

import pandas as pd

from deep_sep_priors.core import console_errors
from deep_sep_priors.evaluate import label
from deep_sep_priors.metrics import bootstrap_interval


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scores", help="scores.csv of a dsp-musdb results folder (written by its evaluate stage)")
    p.add_argument("rows", nargs="+", help="pairs of rows, A B [A B ...]: registry names (elbo, semi, diffusion, nmf, oracle) or mix")
    p.add_argument("--metric", default="SI-SDR", help="a metric of scores.csv (default: SI-SDR)")
    with console_errors(p, argv) as args:
        if len(args.rows) % 2: raise ValueError(f"rows come in pairs (A B), got {len(args.rows)} names")
        scores = pd.read_csv(args.scores)
        scores = scores[scores.metric == args.metric]
        if scores.empty: raise ValueError(f"{args.scores}: no {args.metric!r} scores")
        per_item = scores.groupby(["method", "item"]).value.mean().unstack(0)
        for a, b in zip(args.rows[::2], args.rows[1::2]):
            missing = [n for n in (a, b) if label(n) not in per_item]
            if missing: raise ValueError(f"{args.scores}: no row {missing[0]!r}; it has {sorted(per_item.columns)}")
            diff = (per_item[label(a)] - per_item[label(b)]).dropna()
            lo, hi = bootstrap_interval(diff.to_numpy())
            print(f"{a} - {b}: {diff.mean():+.2f} dB mean {args.metric} [{lo:+.2f}, {hi:+.2f}] ({len(diff)} items)")


if __name__ == "__main__":
    main()
