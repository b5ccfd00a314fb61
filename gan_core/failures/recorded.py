"""The recorded Fashion-MNIST runs of the gallery: a DCGAN whose game is unbalanced on purpose, with
what the lecture says to watch written into its history every logged step.

* **imbalance** (D too strong: several D steps per G step, D's learning rate 5x G's): the norm of
  G's gradient under the saturating loss log(1 - D(G(z))) and under the non-saturating
  -log D(G(z)), both taken on the same batch through the same D, beside D's accuracy. G follows
  the loss chosen with ``--g-loss``; the other is only measured. (Goodfellow et al. 2014, Sec. 3:
  "early in learning, when G is poor, D can reject samples with high confidence ... log(1 - D(G(z)))
  saturates.")
* **collapse** (G too fast: several G steps per D step at a high learning rate): the judge's class
  histogram of 500 samples from a fixed z, every ``--probe-every`` steps, so mode collapse and the
  hopping between modes show as shares over training steps.

Both are ``DCGANTraining`` (gan_core.gan.dcgan) with the steps written out again, because each step
has to measure more than it optimises.
"""
from __future__ import annotations

import torch

from ..gan.dcgan import DCGAN, DCGANTraining
from ..losses import (discriminator_loss, generator_loss_nonsaturating, generator_loss_saturating,
                      minimax_value)

PROBE_N = 500          # samples the judge classifies at each probe
PROBE_SEED = 1234      # their fixed z


def grad_norm(grads) -> float:
    return float(torch.linalg.vector_norm(torch.stack([g.float().norm() for g in grads])))


class ProbedDCGANTraining(DCGANTraining):
    """DCGAN's game with ``d_steps`` D updates and ``g_steps`` G updates per step, measured as it goes.

    Args (beyond DCGANTraining's):
        d_steps, g_steps: updates of D and of G per training step (the real batch is shared).
        probe_every: steps between the judge's class histograms (0: never).
    """

    def __init__(self, model: DCGAN, runtime, *, d_steps: int = 1, g_steps: int = 1, probe_every: int = 0,
                 beta1: float = 0.5, **kwargs):
        super().__init__(model, runtime, betas=(beta1, 0.999), **kwargs)
        self.d_steps, self.g_steps, self.probe_every = d_steps, g_steps, probe_every
        self.g_loss_name = "saturating" if self.g_loss is generator_loss_saturating else "nonsaturating"
        self._done: int | None = None      # training steps done, read from D's optimiser on the first step
        self._probe: dict = {}
        self._probe_z = model.sample_z(PROBE_N, torch.Generator().manual_seed(PROBE_SEED))

    def _steps_done(self) -> int:
        state = self.optimizers["D"].state
        if not state:
            return 0
        return int(float(next(iter(state.values()))["step"])) // self.d_steps

    @torch.no_grad()
    def probe(self) -> dict:
        """The judge's class shares of ``PROBE_N`` samples from the fixed z, and their KL to uniform."""
        from ..evaluate import class_coverage
        from ..judge.api import judge_predict
        G = self.model.generator
        G.eval()
        items = self.model.decode(self.runtime.tensor(self._probe_z))          # (500, 1, 28, 28) in [0, 1]
        G.train()
        cov = class_coverage(judge_predict(items.cpu())[0])
        return {**{f"share_{k}": s for k, s in enumerate(cov["class_shares"])},
                "classes_kl": cov["kl_to_uniform"], "classes_covered": float(cov["classes_covered"])}

    def train_step(self, batch, gen):
        if self._done is None:
            self._done = self._steps_done()
        G, D, rt = self.model.generator, self.model.discriminator, self.runtime
        real = rt.tensor(batch[0].float().div(127.5).sub(1).unsqueeze(1))  # (B, 28, 28) u8 -> (B, 1, 28, 28)
        real = torch.nn.functional.pad(real, (2, 2, 2, 2), value=-1.0)     # -> (B, 1, 32, 32)
        b = real.shape[0]

        # (1) Fix G, update D d_steps times: maximize log D(x) + log(1 - D(G(z)))
        for _ in range(self.d_steps):
            z = rt.tensor(self.model.sample_z(b, gen))
            with rt.autocast():
                fake = G(z).detach()
                d_real, d_fake = D(real), D(fake)
                loss_d = discriminator_loss(d_real, d_fake, self.real_label)
            self.optimizers["D"].zero_grad(set_to_none=True)
            loss_d.backward()
            self.optimizers["D"].step()
        accuracy = 0.5 * ((d_real.float() > 0).float().mean() + (d_fake.float() < 0).float().mean())

        # (2) Fix D, update G g_steps times; at the first, measure both losses' gradients
        params = list(G.parameters())
        D.requires_grad_(False)
        for i in range(self.g_steps):
            z = rt.tensor(self.model.sample_z(b, gen))
            with rt.autocast():
                d_fake_for_g = D(G(z))
                sat, nonsat = generator_loss_saturating(d_fake_for_g), generator_loss_nonsaturating(d_fake_for_g)
            if i == 0:
                g_sat = torch.autograd.grad(sat, params, retain_graph=True)
                g_nonsat = torch.autograd.grad(nonsat, params, retain_graph=True)
                norms = grad_norm(g_sat), grad_norm(g_nonsat)
                grads = g_sat if self.g_loss_name == "saturating" else g_nonsat
            else:
                grads = torch.autograd.grad(sat if self.g_loss_name == "saturating" else nonsat, params)
            for p, g in zip(params, grads):
                p.grad = g
            self.optimizers["G"].step()
            self.optimizers["G"].zero_grad(set_to_none=True)
        D.requires_grad_(True)

        self._done += 1
        if self.probe_every and (self._done % self.probe_every == 0 or not self._probe):
            self._probe = self.probe()
        return {
            "loss_D": loss_d.item(),
            "loss_G": (sat if self.g_loss_name == "saturating" else nonsat).item(),
            "V": minimax_value(d_real, d_fake).item(),
            "D(x)": torch.sigmoid(d_real.float()).mean().item(),
            "D(G(z))": torch.sigmoid(d_fake.float()).mean().item(),
            "D_accuracy": float(accuracy),
            "grad_G_saturating": norms[0],
            "grad_G_nonsaturating": norms[1],
            **self._probe,
        }
