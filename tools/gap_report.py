"""Where the assignment gap comes from, on estimates saved by `sweep.py --save` (run with `classify_final=false`): how final labelling
rules compare with the best permutation (PI), and, for every mix whose labelled SI-SDR stays below PI, the strongest partials of each
estimate and of each true source, so that a wrong label (clean sources, swapped) can be told from a wrong grouping (partials of one
source spread over two estimates).

    python3 tools/sweep.py runs/raw_0.csv --n 32 --set classify_final=false --save runs/raw_0.pt
    python3 tools/sweep.py runs/raw_32.csv --start 32 --n 32 --set classify_final=false --save runs/raw_32.pt
    python3 tools/gap_report.py runs/raw_0.pt runs/raw_32.pt
"""
import argparse

import torch

from deep_sep_priors.core import console_errors
from deep_sep_priors.data.toy import ToyConfig, sample_toy_params
from deep_sep_priors.metrics import best_assignment, permutation_invariant_si_sdr, si_sdr
from deep_sep_priors.priors import load_priors
from deep_sep_priors.separate.masks import take_sources


def partials(x: torch.Tensor, sample_rate: int, n: int = 6) -> str:
    "The `n` strongest spectral peaks of `x` `(time,)` of amplitude >= 0.01 as 'Hz:amplitude' (Hann window; a sinusoid's amplitude), in frequency order."
    spec = torch.fft.rfft(x.double() * torch.hann_window(len(x), dtype=torch.float64)).abs() * 4 / len(x)
    peak = ((spec[1:-1] > spec[:-2]) & (spec[1:-1] > spec[2:]) & (spec[1:-1] >= 0.01)).nonzero()[:, 0] + 1
    top = sorted(peak[spec[peak].argsort(descending=True)[:n]].tolist())
    return " ".join(f"{i * sample_rate / len(x):.0f}:{spec[i]:.2f}" for i in top)


def report(files, priors_name: str, sigmas) -> None:
    saved = [torch.load(f) for f in files]
    est, src = torch.cat([d["estimates"] for d in saved]), torch.cat([d["sources"] for d in saved])
    mix_index = [d["first_mix"] + i for d in saved for i in range(len(d["estimates"]))]
    priors = load_priors(priors_name)
    names, rate, seed = priors.names, priors.sample_rate, saved[0]["seed"]
    if any(d["names"] != names for d in saved): raise ValueError(f"the files hold separations by {saved[0]['names']}, --priors {priors_name} is {names}")
    config = ToyConfig(sample_rate=rate, segment_length=src.shape[-1], sources=tuple(names))
    freq = sample_toy_params(max(mix_index) + 1, config, seed=seed).freq[mix_index]  # the mixes' fundamentals, without synthesising them again
    pi, pi_perm = permutation_invariant_si_sdr(est, src)
    pi = pi.mean(1)
    print(f"{len(est)} mixes (seed {seed}): as returned {si_sdr(est, src).mean():+.2f} dB, best permutation (PI) {pi.mean():+.2f}")
    chosen = None
    for sigma in sigmas:
        with torch.no_grad(): log_p = priors.classify(est, sigma)
        perm = best_assignment(log_p)
        labelled = si_sdr(take_sources(est, perm), src).mean(1)
        print(f"classifier at sigma {sigma:<6}: {labelled.mean():+.2f} dB, gap to PI {(pi - labelled).mean():.2f}, PI's permutation on "
              f"{int((labelled >= pi - 0.01).sum())} of {len(est)} mixes")
        if chosen is None: chosen, chosen_perm, chosen_log_p = labelled, perm, log_p
    print(f"\nmixes below PI by more than 0.5 dB under the classifier at sigma {sigmas[0]} (estimates in the order returned):")
    for i in (pi - chosen > 0.5).nonzero()[:, 0].tolist():
        print(f"mix {mix_index[i]}: {chosen[i]:+.1f} dB, PI {pi[i]:+.1f}; f0 " + ", ".join(f"{k} {f:.0f} Hz" for k, f in zip(names, freq[i].tolist())))
        print(f"  classifier's labels {chosen_perm[i].tolist()}, PI's {pi_perm[i].tolist()} (slot i takes estimate perm[i])")
        for j, k in enumerate(names):
            lp = " ".join(f"{v:.0f}" for v in chosen_log_p[i, j].tolist())
            print(f"  estimate {j} ({k:>8}): {partials(est[i, j], rate)}   log p(class) {lp}")
        for j, k in enumerate(names): print(f"  truth    {j} ({k:>8}): {partials(src[i, j], rate)}")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="gap_report.py", description=__doc__.split("\n\n")[0])
    p.add_argument("files", nargs="+", help="files written by sweep.py --save")
    p.add_argument("--priors", default="toy")
    p.add_argument("--sigmas", nargs="+", type=float, default=[0.005, 0.01, 0.05, 0.1, 0.2],
                   help="noise levels at which the classifier labels the estimates (the first: the per-mix listing)")
    with console_errors(p, argv) as args:
        report(args.files, args.priors, args.sigmas)


if __name__ == "__main__":
    main()
