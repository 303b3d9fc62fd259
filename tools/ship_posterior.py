"""Write a trained posterior as a small shipped checkpoint: the same self-describing file with its weights in float16
(half the size; `PosteriorNet.load` copies them into float32 parameters, and the estimates agree to ~1e-3 dB).

    python3 tools/ship_posterior.py runs/posterior/elbo/posterior.pt deep_sep_priors/checkpoints/toy_posterior/elbo.pt
"""
import argparse

import torch

from deep_sep_priors.core import atomic_torch_save
from deep_sep_priors.training import read_checkpoint
from deep_sep_priors.separate.elbo import POSTERIOR_FORMAT


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("src", help="posterior.pt written by train_posterior")
    p.add_argument("dst", help="where to write the float16 copy")
    args = p.parse_args(argv)
    ckpt = read_checkpoint(args.src, POSTERIOR_FORMAT, "posterior")
    ckpt["state_dict"] = {k: v.half() if v.is_floating_point() else v for k, v in ckpt["state_dict"].items()}
    ckpt["metadata"] = {**ckpt.get("metadata", {}), "stored_as": "float16 (loaded into float32)"}
    print("wrote", atomic_torch_save(ckpt, args.dst))


if __name__ == "__main__":
    main()
