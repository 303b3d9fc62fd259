"""Evaluate separators on the fixed toy test set: SI-SDR / SI-SDRi per source, mean and median, wall time per mix.
A command-line front end to `deep_sep_priors.evaluate.evaluate_toy` (nbs/27_evaluation.ipynb).

    python3 tools/eval_toy_separation.py --n 8 --length 4096 --threads 1
    python3 tools/eval_toy_separation.py --variant "8 particles:particles=8" --variant "400 levels:n_levels=400"
    python3 tools/eval_toy_separation.py --seed 555 --langevin "n_levels=40,steps_per_level=10"   # tune on validation
    python3 tools/eval_toy_separation.py --warm-start oracle --langevin sigma_max=1   # the priors refining the truth + N(0, 1)

Methods: the mix itself (the floor), NMF with per-source dictionaries learned from isolated examples (the same
supervision as the priors), Langevin / reverse diffusion under the priors, the amortised ELBO posterior (--posterior,
default the shipped one), and two upper bounds that read the truth: the same posterior network trained supervised
(--supervised) and the oracle ratio mask. The test set is `toy_test_set(n, seed=1234)`; tune on another seed (--seed),
never on this one.
"""
import argparse
import time

import torch
import yaml

from deep_sep_priors.diagnostics.discriminative import NoiseClassifier, guide_priors
from deep_sep_priors.evaluate import TEST_SEED, evaluate_toy
from deep_sep_priors.separate.langevin import LangevinConfig, langevin_separate


def _value(raw: str):
    "A YAML scalar, like dsp-train-prior's --set; '2e-5' (a string to YAML 1.1) is read as a number."
    v = yaml.safe_load(raw)
    try: return float(v) if isinstance(v, str) else v
    except ValueError: return v

def _parse(spec: str) -> dict:
    "'a=1,b=true,delta=2e-5' -> {'a': 1, 'b': True, 'delta': 2e-05}."
    return {k.strip(): _value(v) for k, _, v in (item.partition("=") for item in filter(None, spec.split(",")))}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--priors", default="toy")
    p.add_argument("--n", type=int, default=8, help="test mixes")
    p.add_argument("--length", type=int, default=4096)
    p.add_argument("--seed", type=int, default=TEST_SEED, help=f"test-set seed ({TEST_SEED}: the fixed test set)")
    p.add_argument("--langevin", default="", help="LangevinConfig overrides of the main Langevin row, e.g. 'n_levels=40,particles=2'")
    p.add_argument("--variant", action="append", default=[], metavar="NAME:OVERRIDES",
                   help="an extra Langevin row, e.g. '8 particles:particles=8' (repeatable)")
    p.add_argument("--no-langevin", action="store_true", help="skip the main Langevin row")
    p.add_argument("--no-nmf", action="store_true", help="skip the NMF baseline")
    p.add_argument("--posterior", default="toy", help="the ELBO posterior (a posterior.pt or a shipped name); 'none' skips it")
    p.add_argument("--supervised", default="toy/supervised", help="the supervised upper bound (a posterior.pt or a shipped name); 'none' skips it")
    p.add_argument("--warm-start", choices=["none", "oracle"], default="none",
                   help="oracle: also run Langevin started from the truth plus N(0, sigma_max^2) (a diagnostic of the priors, not a method)")
    p.add_argument("--classifier", default=None, help="classifier.pt: also run Langevin under the priors guided by it (nbs/19_discriminative.ipynb)")
    p.add_argument("--guidance", type=float, nargs="*", default=[1.0], help="classifier-guidance weights to run")
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args(argv)
    lcfg = LangevinConfig(**_parse(args.langevin))
    variants = {f"Langevin, {name}": LangevinConfig(**{**lcfg.__dict__, **_parse(spec)}) for name, _, spec in (v.partition(":") for v in args.variant)}
    gen = lambda: torch.Generator().manual_seed(args.seed)
    extra = {}
    if args.classifier:
        clf = NoiseClassifier.load(args.classifier)
        for w in args.guidance:
            extra[f"Langevin, classifier-guided (w={w:g})"] = lambda mix, src, priors, w=w: langevin_separate(mix, guide_priors(priors, clf, w), lcfg, generator=gen())
    if args.warm_start == "oracle":
        extra[f"Langevin from truth (oracle) + N(0, {lcfg.sigma_max}^2)"] = lambda mix, src, priors: langevin_separate(mix, priors, lcfg, generator=gen(), warm_start=src)
    methods = ("nmf",) * (not args.no_nmf) + ("langevin",) * (not args.no_langevin) + ("elbo",) * (args.posterior != "none")
    none = lambda v: None if v == "none" else v
    t = time.perf_counter()
    ev = evaluate_toy(args.priors, args.n, args.length, args.seed, methods, lcfg, variants, none(args.posterior), none(args.supervised), extra, args.threads)
    print(f"toy set: {args.n} mixes x {args.length} samples (seed {args.seed}); torch threads {args.threads or torch.get_num_threads()}; {time.perf_counter() - t:.0f} s")
    print(f"Langevin: {lcfg}")
    print(ev.table.round(2).to_string())
    return ev.table


if __name__ == "__main__":
    main()
