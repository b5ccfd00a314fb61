"""The VAE family: its loss terms against closed forms, training on fake data, the training
command, the API (encode, decode, ELBO terms), kNN on codes, and the shipped checkpoints'
AE-vs-VAE ordering."""
from __future__ import annotations

import math

import pytest
import torch

from conftest import VAES, blobs, requires_checkpoint, requires_fmnist
from gan_core import checkpoints
from gan_core.runtime import Runtime
from gan_core.trainer import Trainer, TrainConfig, read_history
from gan_core.vae.evaluate import knn_accuracy
from gan_core.vae.vae import (VAE, VAETraining, bernoulli_entropy, bernoulli_nll, elbo, kl_divergence,
                              kl_lecture_slide, reparameterize)

CPU32 = Runtime(torch.device("cpu"), None, False)


# --- loss terms ----------------------------------------------------------------------------------

def test_kl_matches_the_closed_form_for_known_mu_and_sigma():
    mu = torch.tensor([[1.0, -2.0], [0.0, 0.0], [0.0, 0.0]])
    sigma = torch.tensor([[0.5, 2.0], [1.0, 1.0], [2.0, 2.0]])
    kl = kl_divergence(mu, 2 * sigma.log())
    # row 0: ½[(0.25 + 1 - log 0.25 - 1) + (4 + 4 - log 4 - 1)] = ½·7.25, the logs cancel
    # row 1: the prior itself; row 2: 2 · ½(4 - log 4 - 1)
    expected = torch.tensor([3.625, 0.0, 3 - math.log(4)])
    torch.testing.assert_close(kl, expected, atol=1e-6, rtol=0)
    ref = torch.distributions.kl_divergence(torch.distributions.Normal(mu, sigma),
                                            torch.distributions.Normal(0.0, 1.0)).sum(1)
    torch.testing.assert_close(kl, ref, atol=1e-6, rtol=0)


def test_the_lecture_slides_kl_is_not_a_kl():
    mu = torch.zeros(1, 3)
    at_half = torch.full((1, 3), math.log(0.5))  # σ² = 1/2, where the slide's expression is smallest
    slide = kl_lecture_slide(mu, at_half).item()
    assert slide == pytest.approx(3 * (0.5 + 0.5 * math.log(2) - 1), abs=1e-6)  # -0.153 per dimension
    assert slide < 0 < kl_divergence(mu, at_half).item()
    # at the prior both are 0; off it they differ by more than the factor ½
    assert kl_lecture_slide(mu, torch.zeros(1, 3)).item() == pytest.approx(0.0, abs=1e-7)
    wide = torch.full((1, 3), math.log(4.0))
    assert kl_lecture_slide(mu, wide).item() != pytest.approx(2 * kl_divergence(mu, wide).item(), rel=1e-3)


def test_bernoulli_nll_and_its_floor():
    x = torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(bernoulli_nll(torch.zeros_like(x), x), torch.full((3,), 784 * math.log(2)))
    perfect = torch.logit(x.clamp(1e-7, 1 - 1e-7))
    torch.testing.assert_close(bernoulli_nll(perfect, x), bernoulli_entropy(x), atol=1e-2, rtol=1e-5)
    worse = bernoulli_nll(perfect + 0.5, x)
    assert (worse > bernoulli_entropy(x)).all()


def test_reparameterisation_draws_from_q():
    mu, sigma = torch.tensor([[1.5, -0.5]]), torch.tensor([[0.2, 3.0]])
    z = reparameterize(mu.expand(20000, 2), 2 * sigma.log().expand(20000, 2), torch.Generator().manual_seed(0))
    torch.testing.assert_close(z.mean(0), mu[0], atol=0.05, rtol=0)
    torch.testing.assert_close(z.std(0), sigma[0], atol=0, rtol=0.02)


# --- the network and its training ------------------------------------------------------------------

def test_shapes_and_ranges():
    m = VAE(latent_dim=3, width=4, hidden=16).eval()
    mu, logvar = m.encode(torch.rand(5, 1, 28, 28))
    assert mu.shape == logvar.shape == (5, 3)
    x = m.decode(m.prior(5, torch.Generator().manual_seed(0)))
    assert x.shape == (5, 1, 28, 28) and 0 <= x.min() and x.max() <= 1
    with pytest.raises(ValueError, match=r"z must have shape \(n, 3\)"):
        m.decode(torch.zeros(5, 2))


@pytest.mark.parametrize("beta", [1.0, 0.0])
def test_the_loss_is_reconstruction_plus_beta_kl(beta):
    torch.manual_seed(0)
    algo = VAETraining(VAE(latent_dim=2, beta=beta, width=4, hidden=16), CPU32)
    logs = algo.train_step([blobs(16)], torch.Generator().manual_seed(1))
    assert logs["loss"] == pytest.approx(logs["reconstruction"] + beta * logs["kl"], rel=1e-6)
    assert logs["elbo"] == pytest.approx(-(logs["reconstruction"] + logs["kl"]), rel=1e-6)


def test_elbo_is_finite_and_improves_over_the_first_steps(tmp_path):
    torch.manual_seed(0)
    model = VAE(latent_dim=2, beta=1.0, width=4, hidden=32)
    held = blobs(64, seed=1).float().div(255).unsqueeze(1)

    def held_elbo() -> float:
        with torch.no_grad():
            logits, mu, logvar = model(held, torch.Generator().manual_seed(0))
            return elbo(logits, held, mu, logvar)["elbo"].mean().item()

    before = held_elbo()
    algo = VAETraining(model, CPU32, lr=3e-3)
    Trainer(algo, (blobs(512),), TrainConfig(steps=60, batch_size=32, log_every=10, checkpoint_every=60),
            tmp_path / "run", progress=False).fit()
    after = held_elbo()
    history = read_history(tmp_path / "run")
    assert len(history) == 6
    assert all(math.isfinite(v) for h in history for v in h.values())
    assert math.isfinite(before) and math.isfinite(after)
    assert before == pytest.approx(-784 * math.log(2), rel=0.05)  # logits near 0 at the start
    assert after > before + 150, (before, after)
    assert history[-1]["elbo"] > history[0]["elbo"]


def test_train_cli_presets_dry_run(tmp_path):
    from gan_core import train
    assert train.main(["ae2d", "--dry-run", "--run-dir", str(tmp_path / "ae")]) == 0
    args = train.parse_args(["vae16"])
    assert (args.latent_dim, args.beta, args.name) == (16, 1.0, "vae16-fmnist")
    assert train.parse_args(["ae2d"]).beta == 0.0


# --- the Python API ------------------------------------------------------------------------------------

def test_api_encode_decode_generate(tiny_vaes):
    import gan_core
    x = blobs(7)
    mu, logvar = gan_core.encode("vae16-fmnist", x)  # uint8 (n, 28, 28) is accepted
    assert mu.shape == logvar.shape == (7, 16)
    mu2, _ = gan_core.encode("vae16-fmnist", x.float().div(255).unsqueeze(1))
    torch.testing.assert_close(mu, mu2)
    images = gan_core.decode("vae16-fmnist", mu)
    assert images.shape == (7, 1, 28, 28) and 0 <= images.min() and images.max() <= 1
    samples = gan_core.generate("vae2d-fmnist", 6, seed=3)
    torch.testing.assert_close(samples, gan_core.decode("vae2d-fmnist", gan_core.latents("vae2d-fmnist", 6, 3)))
    torch.testing.assert_close(samples, gan_core.generate("vae2d-fmnist", 6, seed=3))
    assert not torch.equal(samples, gan_core.generate("vae2d-fmnist", 6, seed=4))
    with pytest.raises(ValueError, match=r"shape \(n, 1, 28, 28\)"):
        gan_core.encode("vae2d-fmnist", torch.rand(2, 3, 28, 28))
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        gan_core.encode("vae2d-fmnist", torch.rand(2, 1, 28, 28) * 3)


def test_encode_refuses_a_model_without_encoder(tiny_dcgan):
    import gan_core
    with pytest.raises(TypeError, match="needs a VAE checkpoint"):
        gan_core.encode("dcgan-fmnist", torch.rand(1, 1, 28, 28))


def test_knn_accuracy_on_known_codes():
    train = torch.tensor([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [5.0, 5.0], [5.1, 5.0], [5.0, 5.1]])
    labels = torch.tensor([0, 0, 0, 1, 1, 1])
    test = torch.tensor([[0.05, 0.05], [5.05, 5.0], [4.9, 4.9]])
    assert knn_accuracy(train, labels, test, torch.tensor([0, 1, 1]), k=3) == 1.0
    assert knn_accuracy(train, labels, test, torch.tensor([0, 1, 0]), k=3) == pytest.approx(2 / 3)
    # k = 2 with one vote each: the nearer neighbour's class wins
    assert knn_accuracy(train[[0, 3]], labels[[0, 3]], torch.tensor([[1.0, 1.0]]), torch.tensor([0]), k=2) == 1.0


# --- the shipped checkpoints: the lecture's claim in numbers -------------------------------------------

@requires_fmnist
@requires_checkpoint(*VAES, "fmnist-classifier")
def test_shipped_ae_reconstructs_better_but_samples_worse():
    import gan_core
    from gan_core.evaluate import class_coverage, fid
    from gan_core.fmnist import fashion_mnist
    from gan_core.judge.api import judge_predict
    from gan_core.vae.api import elbo_terms
    checkpoints.clear_cache()
    x = fashion_mnist(train=False)[0][:1000].float().div(255).unsqueeze(1)
    rec = {n: elbo_terms(n, x)["reconstruction"].mean().item() for n in VAES}
    assert rec["ae2d-fmnist"] < rec["vae2d-fmnist"]
    real_features = judge_predict(x)[1]
    samples = {n: gan_core.generate(n, 1000, seed=0) for n in VAES}
    fid = {n: fid(judge_predict(s)[1], real_features) for n, s in samples.items()}
    assert fid["ae2d-fmnist"] > 1.2 * fid["vae2d-fmnist"], fid
    assert fid["vae16-fmnist"] < fid["vae2d-fmnist"], fid
    cover = {n: class_coverage(judge_predict(s)[0])["kl_to_uniform"] for n, s in samples.items()}
    assert cover["ae2d-fmnist"] > cover["vae2d-fmnist"], cover
    # the model cards report the same ordering, measured on all 10,000 test items
    m = {n: checkpoints.read_json(n, "metrics.json") for n in VAES}
    assert m["ae2d-fmnist"]["test_reconstruction_nats"] < m["vae2d-fmnist"]["test_reconstruction_nats"]
    assert m["ae2d-fmnist"]["judge_fid"] > m["vae2d-fmnist"]["judge_fid"] > m["vae16-fmnist"]["judge_fid"]
    paired = m["ae2d-fmnist"]["test_reconstruction_minus_vae2d-fmnist_nats"]
    assert paired < -3 * m["ae2d-fmnist"]["test_reconstruction_minus_vae2d-fmnist_stderr"]  # better, not by chance
