"""Record the training level (`PriorInfo.rms`, the RMS of the held-out set `train_prior` evaluates on) in shipped toy priors
trained before it was recorded; the weights are untouched. Separation scales every mix to the level the priors imply.

    python3 tools/record_levels.py deep_sep_priors/checkpoints/toy deep_sep_priors/checkpoints/toy_flow
"""
import argparse
import json
from pathlib import Path

from deep_sep_priors.core import atomic_torch_save
from deep_sep_priors.priors import CHECKPOINT_FORMAT
from deep_sep_priors.train import BatchSource, DataConfig, PriorRunConfig, TrainConfig, training_level
from deep_sep_priors.training import read_checkpoint


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folders", nargs="+", help="folders of shipped toy prior checkpoints")
    args = p.parse_args(argv)
    for path in sorted(f for folder in args.folders for f in Path(folder).glob("*.pt")):
        ckpt = read_checkpoint(path, CHECKPOINT_FORMAT, "prior")
        info, old = ckpt["info"], json.loads(ckpt["metadata"]["train_config"])  # the flat config of the run that trained it
        cfg = TrainConfig(data=DataConfig(source=info["source"], sample_rate=info["sample_rate"], segment_length=info["segment_length"]),
                          run=PriorRunConfig(seed=old["seed"], eval_examples=old["eval_examples"]))
        info["rms"] = training_level(BatchSource(cfg).eval_set())
        atomic_torch_save(ckpt, path)
        print(f"{path}: rms {info['rms']}")


if __name__ == "__main__":
    main()
