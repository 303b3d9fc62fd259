"""Train the noise-conditional toy classifier used for classifier guidance (nbs/19_discriminative.ipynb).

    python3 tools/train_toy_classifier.py --out runs/classifier/toy --threads 2

It sees isolated, labelled toy examples only (the supervision the priors get), from seeds 20_000_000 + step,
disjoint from the test (1234) and validation seeds. Resumes from OUT/last.pt.
"""
import argparse

import torch

from deep_sep_priors.core import parse_overrides
from deep_sep_priors.data.toy import SOURCE_NAMES, ToyConfig, toy_sources
from deep_sep_priors.diagnostics.discriminative import ClassifierConfig, train_classifier
from deep_sep_priors.training import config_from


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--length", type=int, default=4096)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="ClassifierConfig overrides, e.g. optim.steps=1500 optim.lr=2e-3")
    args = p.parse_args(argv)
    if args.threads: torch.set_num_threads(args.threads)
    cfg = config_from(ClassifierConfig, parse_overrides(args.set))
    toy = ToyConfig(segment_length=args.length)
    k = len(SOURCE_NAMES)
    if cfg.optim.batch_size % k: raise SystemExit(f"optim.batch_size must be a multiple of {k}")

    def batches(step: int):
        x = toy_sources(cfg.optim.batch_size // k, toy, seed=20_000_000 + step)  # one example of every class per row
        return x.reshape(-1, x.shape[-1]), torch.arange(k).repeat(cfg.optim.batch_size // k)

    train_classifier(list(SOURCE_NAMES), toy.sample_rate, batches, cfg, out=args.out)


if __name__ == "__main__":
    main()
