"""GPU readiness: every separator and evaluation row, the shipped priors, bf16 autocast and every prior kind's training, on CUDA.

Marked `cuda` and skipped without a GPU: `python3 -m pytest tests/test_cuda.py -m cuda -q -n 0` (tools/gpu_check.sh runs it).
`DSP_TEST_DEVICE=cpu` runs the same tests on the CPU, to check the code apart from the device. A few minutes at most on a GPU."""
import json
import math
import os

import pytest
import torch

DEVICE = os.environ.get("DSP_TEST_DEVICE", "cuda")
pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(DEVICE.startswith("cuda") and not torch.cuda.is_available(), reason="needs a CUDA GPU (DSP_TEST_DEVICE=cpu runs these on the CPU)")]

METHODS = ("diffusion", "semi", "nmf", "elbo", "oracle", "mix", "supervised")  # the registry's (checked below), listed so collection imports nothing
FAST = {"diffusion": {"n_levels": 5, "mask": {"steps": 5}, "noise": False}, "semi": {"n_levels": 5, "noise": False}}  # noise-free: deterministic, so CPU and GPU can be compared
KINDS = ("score", "flow", "spectral_flow", "gaussian")


def agreement_db(ref: torch.Tensor, x: torch.Tensor) -> float:
    "How close `x` is to `ref`: 10 log10(|ref|^2 / |ref - x|^2), in dB (inf when equal)."
    ref, x = ref.detach().double().cpu(), x.detach().double().cpu()
    err = (ref - x).pow(2).sum().item()
    return math.inf if err == 0 else 10 * math.log10(ref.pow(2).sum().item() / err)


def check_estimates(est: torch.Tensor, shape) -> None:
    assert tuple(est.shape) == tuple(shape), est.shape
    assert est.device.type == torch.device(DEVICE).type, est.device
    assert torch.isfinite(est).all()


@pytest.fixture(autouse=True)
def exact_fp32():
    "No TF32 inside a test (CUDA convs and matmuls default to it): the fp32 results are compared with the CPU's."
    old = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    yield
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = old


@pytest.fixture(scope="module")
def toy():
    "(priors on the device, the same priors on the CPU, mix (2, 4096), sources (2, 4, 4096)): two short validation mixes."
    from deep_sep_priors.data.toy import ToyConfig, toy_test_set
    from deep_sep_priors.evaluate import VALIDATION_SEED
    from deep_sep_priors.priors import load_priors
    mix, sources = toy_test_set(2, ToyConfig(segment_length=4096), seed=VALIDATION_SEED)
    return load_priors("toy", map_location=DEVICE), load_priors("toy"), mix, sources


def test_methods_cover_the_registry():
    from deep_sep_priors.separate.registry import available_methods
    assert sorted(METHODS) == sorted(available_methods()), "a method was registered or removed: update METHODS"
    assert set(available_methods(reference=False)) <= set(METHODS)


@pytest.mark.parametrize("name", METHODS)
def test_method_on_device(name, toy):
    "Each method (the references with the true sources) separates on the device, as on the CPU."
    from deep_sep_priors.separate.registry import get_method
    priors, cpu_priors, mix, sources = toy
    method, options = get_method(name), FAST.get(name)
    method.prepare(priors, options)
    run = lambda p, device: method.run(mix.to(device), p, options, torch.Generator().manual_seed(0), truth=sources.to(device) if method.needs_truth else None)
    est = run(priors, DEVICE)
    check_estimates(est, sources.shape)
    assert agreement_db(run(cpu_priors, "cpu"), est) > 30


@pytest.mark.parametrize("options", [{"sampler": "diffusion", "particles": 2, "rank_levels": 4, "mask": {"steps": 3}}, {"sampler": "langevin", "init": "noise", "steps_per_level": 2},
                                     {"sampler": "diffusion", "init": "mix", "steps_per_level": 0},
                                     {"bf16": True, "mask": {"steps": 4, "assign_step": 1}},
                                     {"bf16": True, "particles": 2, "classify_final": True, "mask": {"steps": 4, "classify_steps": [2, 4]}}],
                         ids=["masks-2particles", "langevin-noise", "diffusion-mix", "bf16-assignment-fork", "bf16-classifier-assignment"])
def test_diffusion_sampling_on_device(options, toy):
    "The stochastic samplers (noise from the device's generator, particles ranked by the diffusion bound) on the device."
    from deep_sep_priors.separate.registry import get_method
    priors, _, mix, sources = toy
    est = get_method("diffusion").run(mix.to(DEVICE), priors, {"n_levels": 4, **options}, torch.Generator().manual_seed(1))
    check_estimates(est, sources.shape)


@pytest.mark.parametrize("name", ["toy", "toy_flow"])
def test_priors_on_device(name):
    """The shipped priors' score (and log-density) on the device agree with the CPU's, and under bf16 autocast with fp32
    (flows compute their log-density with autocast off); the diffusion bound runs there."""
    from deep_sep_priors.priors import load_priors
    from deep_sep_priors.sampling import log_likelihood
    gpu, cpu = load_priors(name, map_location=DEVICE), load_priors(name)
    assert gpu.device.type == torch.device(DEVICE).type
    x = 0.5 * torch.randn(2, 1024, generator=torch.Generator().manual_seed(0))
    for (source, p), q in zip(gpu.items(), cpu.values()):
        score = p.score(x.to(DEVICE), 0.1)
        assert agreement_db(q.score(x, 0.1), score) > 40, source
        with torch.autocast(torch.device(DEVICE).type, dtype=torch.bfloat16): half = p.score(x.to(DEVICE), 0.1)
        # a floor, not a precision claim: 8 mantissa bits through ~40 convolutions leave the toy priors' bf16 scores 8-14 dB from fp32
        # on a Sapphire Rapids CPU (over 25 on an earlier one); bf16 is off by default (22_langevin_separation)
        assert half.dtype == torch.float32 and agreement_db(score, half) > 5, source
        if p.has_log_prob:
            log_prob = p.log_prob(x.to(DEVICE), 0.1)
            torch.testing.assert_close(log_prob.cpu(), q.log_prob(x, 0.1), rtol=1e-4, atol=1e-2)
            with torch.autocast(torch.device(DEVICE).type, dtype=torch.bfloat16): torch.testing.assert_close(p.log_prob(x.to(DEVICE), 0.1), log_prob)
        ll = log_likelihood(p, x.to(DEVICE), 0.01, method="bound", n_levels=4)
        assert ll.shape == (2,) and torch.isfinite(ll).all()


def test_bf16_autocast_separation(toy):
    "Diffusion separation under bf16 autocast (the score networks run in bf16): finite fp32 estimates, close to the fp32 ones."
    from deep_sep_priors.separate.registry import get_method
    priors, _, mix, sources = toy
    run = lambda: get_method("diffusion").run(mix.to(DEVICE), priors, FAST["diffusion"], torch.Generator().manual_seed(0))
    with torch.autocast(torch.device(DEVICE).type, dtype=torch.bfloat16): est = run()
    check_estimates(est, sources.shape)
    assert est.dtype == torch.float32 and agreement_db(run(), est) > 10  # 20 dB on a CPU: 5 noise-free levels amplify bf16 rounding


def tiny_config(kind: str, out, *extra: str):
    "A `TrainConfig` of a tiny prior of `kind` on the device, amp on: 5 steps of 4 examples of 1024 samples (the recipe's tiny networks)."
    from deep_sep_priors.recipes.musdb import TINY_PRIOR
    from deep_sep_priors.train import TrainConfig
    net = TINY_PRIOR.get(kind, {"length": 1024})  # gaussian: GaussianConfig
    return TrainConfig.from_sources(overrides=[f"model.kind={kind}", f"model.config={json.dumps(net)}", "data.segment_length=1024", "data.sigma_max=1.0",
                                               "optim.steps=5", "optim.batch_size=4", "optim.warmup=2", "run.eval_every=5", "run.ckpt_every=5",
                                               "run.eval_examples=8", f"run.device={DEVICE}", "run.amp=true", f"run.out={out}", *extra])


@pytest.mark.parametrize("kind", KINDS)
def test_training_on_device(kind, tmp_path):
    "A few steps of every prior kind through `train_prior` on the device with amp: finite losses; the checkpoints load on the CPU (weights_only)."
    from deep_sep_priors.priors import Prior
    from deep_sep_priors.train import train_prior
    prior = train_prior(tiny_config(kind, tmp_path), progress=False)
    assert prior.device.type == torch.device(DEVICE).type
    log = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert log and all(math.isfinite(r["loss"]) and math.isfinite(r["eval_loss"]) and r["skipped"] == 0 for r in log), log
    for name in ("prior.pt", "best_prior.pt"):
        loaded = Prior.load(tmp_path / name)  # weights_only=True, onto the CPU
        assert loaded.kind == kind and loaded.device.type == "cpu" and loaded.metadata["steps"] == 5
        assert all(torch.isfinite(v).all() for v in loaded.state_dict().values())
        x = 0.5 * torch.randn(2, 1024, generator=torch.Generator().manual_seed(0))
        assert agreement_db(prior.score(x.to(prior.device), 0.1), loaded.score(x, 0.1)) > 40
    state = torch.load(tmp_path / "last.pt", map_location="cpu", weights_only=True)
    assert state["step"] == 5 and all(v.device.type == "cpu" and torch.isfinite(v).all() for v in state["model"].values())


def test_amp_runs_in_bf16(tmp_path):
    "`fit` with `run.amp` computes the score network in bf16 on CUDA (and in fp32 on the CPU, where amp is ignored)."
    from deep_sep_priors.train import BatchSource, build_prior
    from deep_sep_priors.training import fit
    cfg = tiny_config("score", tmp_path)
    prior, data, seen = build_prior(cfg), BatchSource(cfg), []
    prior.net.stem.register_forward_hook(lambda module, args, out: seen.append(out.dtype))
    fit(prior, lambda model, x, step: model(x), data.batch, cfg.optim, cfg.run, device=DEVICE, progress=False)
    assert seen and set(seen) == {torch.bfloat16 if DEVICE.startswith("cuda") else torch.float32}, seen


def test_gaussian_fit_on_device():
    "`GaussianPrior.fit` to examples on the device; the prior then scores there."
    from deep_sep_priors.data.toy import ToyConfig, toy_sources
    from deep_sep_priors.priors import GaussianPrior, PriorInfo
    data = toy_sources(8, ToyConfig(segment_length=1024, sources=("sine",)), seed=0)[:, 0].to(DEVICE)
    prior = GaussianPrior.fit(data, PriorInfo("sine", 16000, 1024)).to(DEVICE)
    score = prior.score(data, 0.1)
    assert score.device.type == torch.device(DEVICE).type and torch.isfinite(score).all()
    torch.testing.assert_close(prior.log_var.exp().cpu(), data.var(unbiased=False).cpu(), rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize("objective", ["supervised", "elbo"])
def test_mask_posterior_training_on_device(objective, toy, tmp_path):
    "A few steps of the mask-network posterior (`25a_mask_network`) on the device, both objectives; it loads on the CPU and agrees there."
    from deep_sep_priors.separate.elbo import ElboConfig, PosteriorNet, elbo_separate, train_posterior
    from deep_sep_priors.training import config_from
    from deep_sep_priors.data.toy import toy_mix, toy_sources, ToyConfig
    priors, _, mix, _ = toy
    cfg = config_from(ElboConfig, {"network": "masks", "objective": objective, "supervised_loss": "si_sdr", "masks": {"channels": 4, "dilations": [1, 2]},
                                   "optim": {"steps": 3, "batch_size": 2, "warmup": 1}, "run": {"ckpt_every": 3}})
    def batches(step):
        src = toy_sources(2, ToyConfig(segment_length=4096), seed=step).to(DEVICE)
        return (toy_mix(src), src) if objective == "supervised" else toy_mix(src)
    post = train_posterior(priors, batches, cfg, out=tmp_path, progress=False, device=DEVICE)
    est = elbo_separate(mix.to(DEVICE), post)
    check_estimates(est, (2, 4, 4096))
    loaded = PosteriorNet.load(tmp_path / "posterior.pt")
    assert loaded.device.type == "cpu" and loaded.metadata["steps"] == 3
    assert agreement_db(elbo_separate(mix, loaded), est) > 40


def test_distillation_on_device(toy, tmp_path):
    "The teacher writes pseudo-targets from priors on the device; a mask posterior distils them there (`25b_pseudo_targets`)."
    from deep_sep_priors.separate.distill import PseudoTargetConfig, PseudoTargets, make_pseudo_targets
    from deep_sep_priors.separate.elbo import ElboConfig, elbo_separate, train_posterior
    from deep_sep_priors.training import config_from
    priors, _, mix, _ = toy
    teacher = PseudoTargetConfig(n=2, length=4096, shard_size=2, options={"n_levels": 3, "mask": {"steps": 3, "classify_steps": [], "regroup_steps": []}})
    data = PseudoTargets(make_pseudo_targets(priors, tmp_path / "targets", teacher, progress=False))
    assert data.estimates.shape == (2, 4, 4096) and data.estimates.device.type == "cpu" and torch.isfinite(data.estimates).all()
    cfg = config_from(ElboConfig, {"network": "masks", "objective": "distill", "targets": str(tmp_path / "targets"), "supervised_loss": "si_sdr",
                                   "masks": {"channels": 4, "dilations": [1, 2]}, "optim": {"steps": 2, "batch_size": 2, "warmup": 1}})
    post = train_posterior(priors, lambda step: data.batch(2, 2048, 1.0, torch.Generator().manual_seed(step)), cfg, progress=False, device=DEVICE)
    check_estimates(elbo_separate(mix.to(DEVICE), post), (2, 4, 4096))
