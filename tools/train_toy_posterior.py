"""Train the amortised posterior (ELBO, mixes only) or its supervised upper bound on toy mixes, with checkpoints and exact resume.

    python3 tools/train_toy_posterior.py --priors toy --out runs/posterior/elbo
    python3 tools/train_toy_posterior.py --priors toy --objective supervised --out runs/posterior/supervised
    python3 tools/train_toy_posterior.py --priors toy --out runs/posterior/elbo --set optim.steps=3000 sigma_start=10

Training mixes are drawn from seeds 10_000_000 + step, disjoint from the test set (1234) and the validation seeds.
The ELBO objective sees only the mixes; the supervised objective also sees the sources (the upper bound).
"""
import argparse

import torch

from deep_sep_priors.core import parse_overrides
from deep_sep_priors.data.toy import ToyConfig, toy_mix, toy_sources
from deep_sep_priors.priors import load_priors
from deep_sep_priors.separate.elbo import ElboConfig, train_posterior
from deep_sep_priors.training import config_from


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--priors", default="toy")
    p.add_argument("--objective", choices=["elbo", "supervised"], default="elbo")
    p.add_argument("--out", required=True)
    p.add_argument("--length", type=int, default=4096)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="ElboConfig overrides, e.g. optim.steps=600 optim.lr=1e-3 sigma_start=3.0")
    args = p.parse_args(argv)
    if args.threads: torch.set_num_threads(args.threads)
    priors = load_priors(args.priors)
    cfg = config_from(ElboConfig, {"objective": args.objective, **parse_overrides(args.set)})
    toy = ToyConfig(segment_length=args.length, sources=tuple(priors))

    def batches(step: int):
        src = toy_sources(cfg.optim.batch_size, toy, seed=10_000_000 + step)
        return (toy_mix(src), src) if cfg.objective == "supervised" else toy_mix(src)

    train_posterior(priors, batches, cfg, out=args.out)


if __name__ == "__main__":
    main()
