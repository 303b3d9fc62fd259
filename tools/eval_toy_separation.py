"""Evaluate separators on the fixed toy test set: SI-SDR / SI-SDRi per source, mean and median, wall time per mix.

    python3 tools/eval_toy_separation.py --priors toy --n 8 --length 16384
    python3 tools/eval_toy_separation.py --priors toy --langevin "n_levels=40,steps_per_level=10,particles=2"
    python3 tools/eval_toy_separation.py --priors toy --warm-start nmf   # Langevin refining NMF's estimates

Methods: the mix itself (the floor), NMF with per-source dictionaries learned from isolated examples
(the same supervision as the priors), annealed Langevin / reverse diffusion under the priors, the amortised
ELBO posterior (--posterior, trained by tools/train_toy_posterior.py), and two upper bounds that read the
truth: the same posterior network trained supervised (--supervised) and the oracle ratio mask. The test set is
`toy_test_set(n, seed=1234)`; tune on another seed (--seed), never on this one.
"""
import argparse
import time

import torch
import yaml

from deep_sep_priors.data.toy import SOURCE_NAMES, ToyConfig, toy_sources, toy_test_set
from deep_sep_priors.priors import load_priors
from deep_sep_priors.separate.langevin import LangevinConfig, langevin_separate
from deep_sep_priors.demo import score_table
from deep_sep_priors.diagnostics.discriminative import NoiseClassifier, guide_priors
from deep_sep_priors.separate.elbo import PosteriorNet, elbo_separate
from deep_sep_priors.separate.nmf import learn_dictionary, nmf_separate
from deep_sep_priors.separate.oracle import oracle_ratio_mask


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
    p.add_argument("--length", type=int, default=16384)
    p.add_argument("--seed", type=int, default=1234, help="test-set seed (1234: the fixed test set)")
    p.add_argument("--langevin", default="", help="LangevinConfig overrides, e.g. 'n_levels=40,particles=2'")
    p.add_argument("--nmf-components", type=int, default=32)
    p.add_argument("--warm-start", choices=["none", "nmf", "oracle"], default="none",
                   help="also run Langevin started from NMF's estimates, or from the truth (an oracle diagnostic, not a method), plus N(0, sigma_max^2)")
    p.add_argument("--posterior", default=None, help="posterior.pt of the ELBO separator")
    p.add_argument("--supervised", default=None, help="posterior.pt of the same network trained supervised (upper bound)")
    p.add_argument("--no-langevin", action="store_true", help="skip the Langevin separator")
    p.add_argument("--classifier", default=None, help="classifier.pt: also run Langevin under the priors guided by it (nbs/19_discriminative.ipynb)")
    p.add_argument("--guidance", type=float, nargs="*", default=[1.0], help="classifier-guidance weights to run")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--batch", type=int, default=4, help="mixes separated at once by Langevin")
    args = p.parse_args(argv)
    if args.threads: torch.set_num_threads(args.threads)
    cfg = ToyConfig(segment_length=args.length)
    mix, src = toy_test_set(args.n, cfg, seed=args.seed)
    estimates, seconds = {"mix (floor)": mix[:, None].expand_as(src)}, {"mix (floor)": 0.0}

    t = time.perf_counter()
    dictionaries = [learn_dictionary(toy_sources(32, ToyConfig(sources=(s,)), seed=77)[:, 0], args.nmf_components) for s in SOURCE_NAMES]
    t_learn = time.perf_counter() - t
    t = time.perf_counter(); estimates["NMF"] = nmf_separate(mix, dictionaries); seconds["NMF"] = (time.perf_counter() - t) / args.n

    priors = load_priors(args.priors)
    if list(priors) != list(SOURCE_NAMES): raise SystemExit(f"expected priors for {SOURCE_NAMES}, got {list(priors)}")
    lcfg = LangevinConfig(**_parse(args.langevin))
    g = torch.Generator().manual_seed(0)
    if not args.no_langevin:
        t = time.perf_counter()
        estimates["Langevin"] = torch.cat([langevin_separate(m, priors, lcfg, generator=g) for m in mix.split(args.batch)])
        seconds["Langevin"] = (time.perf_counter() - t) / args.n
    if args.classifier:
        clf = NoiseClassifier.load(args.classifier)
        for w in args.guidance:
            guided, name = guide_priors(priors, clf, w), f"Langevin, classifier-guided (w={w:g})"
            t = time.perf_counter()
            estimates[name] = torch.cat([langevin_separate(m, guided, lcfg, generator=torch.Generator().manual_seed(0)) for m in mix.split(args.batch)])
            seconds[name] = (time.perf_counter() - t) / args.n
    for name, path in [("ELBO posterior", args.posterior), ("supervised posterior (upper bound)", args.supervised)]:
        if path:
            post = PosteriorNet.load(path)
            t = time.perf_counter(); estimates[name] = elbo_separate(mix, post); seconds[name] = (time.perf_counter() - t) / args.n
    t = time.perf_counter(); estimates["oracle ratio mask (upper bound)"] = oracle_ratio_mask(mix, src); seconds["oracle ratio mask (upper bound)"] = (time.perf_counter() - t) / args.n
    if args.warm_start != "none":
        start = estimates["NMF"] if args.warm_start == "nmf" else src
        name = f"Langevin from {'NMF' if args.warm_start == 'nmf' else 'truth (oracle)'} + N(0, {lcfg.sigma_max}^2)"
        t = time.perf_counter()
        estimates[name] = torch.cat([langevin_separate(m, priors, lcfg, generator=g, warm_start=w) for m, w in zip(mix.split(args.batch), start.split(args.batch))])
        seconds[name] = (time.perf_counter() - t) / args.n

    table = score_table(estimates, src, mix, seconds, SOURCE_NAMES)
    print(f"toy test set: {args.n} mixes x {args.length} samples at 16 kHz (seed {args.seed}); torch threads {torch.get_num_threads()}")
    steps = {k: pr.metadata.get("steps") for k, pr in priors.items()}
    print(f"priors: {args.priors} ({', '.join(f'{k}: {priors[k].kind}, {v} steps' for k, v in steps.items())})")
    print(f"Langevin: {lcfg}")
    print(f"NMF: {args.nmf_components} components per source, dictionaries learned in {t_learn:.0f} s")
    print(table.to_string())
    return table


if __name__ == "__main__":
    main()
