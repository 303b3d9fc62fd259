"""Samplers tried for toy separation and not adopted (see nbs/22_langevin_separation.ipynb, "Status on the toy task").

Each variant is scored beside the default separator on the validation mixes (seed 555, never the test seed):

    python3 tools/experiments/toy_samplers.py dirac "n_levels=100" "n_levels=1000"
    python3 tools/experiments/toy_samplers.py apf "particles=1" "particles=4" "particles=4,temper=0.03"
    python3 tools/experiments/toy_samplers.py twisted "particles=4"

- dirac: the exact mixture constraint, by projecting onto {mean_k x_k = m} after every step (multi-source diffusion models).
- twisted: SMC with twisted-diffusion weights (Wu et al. 2023); twist p_a(m | x) = N(m; mean_k x_k, a^2 / K), the separator's
  own likelihood; proposal = the separator's guided ancestral step, target transition = the priors' ancestral step.
- apf: a fully adapted auxiliary particle filter: the priors' ancestral step conditioned on the mix exactly (Matheron's
  update), weights = predictive likelihood of the mix over the previous twist.
"""
import argparse
import math
import time

import torch

from deep_sep_priors.evaluate import VALIDATION_SEED, evaluate_toy
from deep_sep_priors.langevin import sigma_schedule
from deep_sep_priors.priors import prior_list, prior_scores
from deep_sep_priors.separate.langevin import rank_particles


def _start(mix, priors, particles, sigma_max, sigma_min, n_levels, rho, seed):
    "The generator, the start `(batch, particles, sources, time)` drawn from N(0, sigma_max^2), and the noise levels as floats."
    g = torch.Generator().manual_seed(seed)
    x = sigma_max * torch.randn(mix.shape[0], particles, len(priors), mix.shape[1], generator=g)
    return g, x, [float(s) for s in sigma_schedule(sigma_max, sigma_min, n_levels, rho)]


def _resample(x, logw, g, ess_frac, *others):
    "Multinomial resampling of the mixes whose effective sample size fell under `ess_frac` of the particles; the count."
    weights = torch.softmax(logw, 1)
    low = (1 / weights.pow(2).sum(1)) < ess_frac * x.shape[1]
    for j in low.nonzero().flatten().tolist():
        idx = torch.multinomial(weights[j].float(), x.shape[1], replacement=True, generator=g)
        for a in (x, *others): a[j] = a[j, idx]
        logw[j] = 0
    return int(low.sum())


def _finish(x, logw, priors, mix, sigma_min, rank):
    x = x + sigma_min**2 * prior_scores(priors, x, sigma_min)
    if x.shape[1] == 1: return x[:, 0]
    best = rank_particles(priors, x, mix, 0.01, 32).argmax(1) if rank == "bound" else logw.argmax(1)
    return x[torch.arange(x.shape[0]), best]


def dirac(mix, priors, n_levels=100, sigma_max=80., sigma_min=0.005, rho=7., particles=1, seed=555, rank="bound"):
    g, x, sig = _start(mix, priors, particles, sigma_max, sigma_min, n_levels, rho, seed)
    centre = lambda v: v - v.mean(2, keepdim=True)
    project = lambda v: v + (mix[:, None, None] - v.mean(2, keepdim=True))
    x = project(centre(x))
    for a, b in zip(sig, sig[1:]):
        noise = centre(torch.randn(x.shape, generator=g))
        x = project(x + (a**2 - b**2) * centre(prior_scores(priors, x, a)) + math.sqrt(b**2 * (a**2 - b**2) / a**2) * noise)
    return project(_finish(x, torch.zeros(x.shape[:2]), priors, mix, sigma_min, rank)[:, None])[:, 0]


def _twist(mix, x, var):
    "log N(m; mean_k x_k, var / K) per (mix, particle), float64."
    k, t = x.shape[2], x.shape[3]
    return -(k * (mix[:, None] - x.mean(2)).pow(2).sum(-1) / (2 * var)).double() - 0.5 * t * math.log(var / k)


def twisted(mix, priors, n_levels=100, sigma_max=80., sigma_min=0.005, rho=7., particles=4, seed=555, temper=1.0, ess_frac=0.5, rank="weight"):
    g, x, sig = _start(mix, priors, particles, sigma_max, sigma_min, n_levels, rho, seed)
    logw, resamplings = torch.zeros(x.shape[:2], dtype=torch.float64), 0
    for a, b in zip(sig, sig[1:]):
        v = b**2 * (a**2 - b**2) / a**2
        mu_p = x + (a**2 - b**2) * prior_scores(priors, x, a)
        mu_q = mu_p + (a**2 - b**2) * (mix[:, None, None] - x.mean(2, keepdim=True)) / a**2
        new = mu_q + math.sqrt(v) * torch.randn(x.shape, generator=g)
        ratio = ((new - mu_q).pow(2).sum((2, 3)) - (new - mu_p).pow(2).sum((2, 3))).double() / (2 * v)
        logw = logw + temper * (_twist(mix, new, b**2) - _twist(mix, x, a**2) + ratio)
        x = new
        resamplings += _resample(x, logw, g, ess_frac)
    print(f"  twisted: {resamplings / mix.shape[0]:.1f} resamplings per mix in {len(sig) - 1} levels", flush=True)
    return _finish(x, logw, priors, mix, sigma_min, rank)


def apf(mix, priors, n_levels=100, sigma_max=80., sigma_min=0.005, rho=7., particles=4, seed=555, temper=1.0, ess_frac=0.5, rank="weight"):
    g, x, sig = _start(mix, priors, particles, sigma_max, sigma_min, n_levels, rho, seed)
    logw, resamplings, k = torch.zeros(x.shape[:2], dtype=torch.float64), 0, len(priors)
    for a, b in zip(sig, sig[1:]):
        v = b**2 * (a**2 - b**2) / a**2
        mu_p = x + (a**2 - b**2) * prior_scores(priors, x, a)
        logw = logw + temper * (_twist(mix, mu_p, v + b**2) - _twist(mix, x, a**2))
        resamplings += _resample(x, logw, g, ess_frac, mu_p)
        new = mu_p + math.sqrt(v) * torch.randn(x.shape, generator=g)
        observed = new.mean(2, keepdim=True) + b / math.sqrt(k) * torch.randn(*x.shape[:2], 1, x.shape[3], generator=g)
        x = new + v / (v + b**2) * (mix[:, None, None] - observed)
    print(f"  apf: {resamplings / mix.shape[0]:.1f} resamplings per mix in {len(sig) - 1} levels", flush=True)
    return _finish(x, logw, priors, mix, sigma_min, rank)


SAMPLERS = {"dirac": dirac, "twisted": twisted, "apf": apf}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sampler", choices=list(SAMPLERS))
    parser.add_argument("variants", nargs="+", help='keyword settings of one variant, e.g. "particles=4,temper=0.03"')
    parser.add_argument("--n", type=int, default=8, help="validation mixes")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    fn = SAMPLERS[args.sampler]
    extra = {}
    for spec in args.variants:
        kw = eval(f"dict({spec})")  # a research script: the settings are Python keywords
        extra[f"{args.sampler} {spec}"] = (lambda kw: lambda mix, sources, priors: fn(mix, prior_list(priors, "toy_samplers"), **kw))(kw)
    start = time.perf_counter()
    with torch.no_grad():
        ev = evaluate_toy("toy", args.n, 4096, VALIDATION_SEED, ("langevin",), extra=extra, threads=args.threads)
    print(ev.table.round(2).to_string())
    print(f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
