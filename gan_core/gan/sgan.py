"""Semi-supervised GAN (Salimans et al. 2016, §5, https://arxiv.org/abs/1606.03498; Odena 2016,
https://arxiv.org/abs/1606.01583) on Fashion-MNIST with a small label budget.

D is a K = 10 class classifier with logits l_1..l_K. Odena adds a (K+1)-th "fake" class; Salimans
et al. note that its logit can be fixed at 0 without loss, so "fake" is implicit:

    p(y = fake | x) = 1 / (Z(x) + 1),    D(x) = Z(x) / (Z(x) + 1),    Z(x) = sum_k exp(l_k(x))

D minimises L = L_supervised + L_unsupervised (``losses.sgan_discriminator_loss``): cross-entropy on
the few labelled items, and the GAN loss on unlabelled real items and fakes. G is trained by
feature matching (§3.1), ||E f(x) - E f(G(z))||^2 on D's last hidden layer, which the paper found
gives better classifiers than the usual G loss (and worse samples).

The classifier follows the paper's recipe in small: no batch norm (its batch statistics would
mix real and fake batches), weight normalisation, dropout, leaky ReLU. The same network trained
on the labels alone (``generator=False``) is the baseline. G is DCGAN's generator.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from ..prior import standard_normal
from .common import NUM_CLASSES, frozen, items_to_net, net_to_items, real_images, update
from .dcgan import Generator, dcgan_init


def label_draw(labels: torch.Tensor, budget: int, seed: int = 0) -> torch.Tensor:
    """Indices of ``budget`` labelled items, ``budget // 10`` per class, a fixed draw per ``seed``;
    ``budget`` 0 (or as many as there are items) means every item."""
    if budget <= 0 or budget >= labels.shape[0]:
        return torch.arange(labels.shape[0])
    g = torch.Generator().manual_seed(10_007 + seed)
    per_class = [torch.nonzero(labels == k).flatten() for k in range(NUM_CLASSES)]
    picked = [idx[torch.randperm(len(idx), generator=g)[:budget // NUM_CLASSES]] for idx in per_class]
    return torch.cat(picked).sort().values


class SemiSupervisedClassifier(nn.Module):
    """x ``(B, 1, 32, 32)`` in [-1, 1] -> (logits ``(B, 10)``, features ``(B, features)``).

    The last conv map is flattened, not averaged: where the ink lies is what tells a shirt from a
    pullover, and a global average pool cost 8-12 points of accuracy in a 600-step comparison."""

    def __init__(self, ndf: int = 32, features: int = 256):
        super().__init__()

        def conv(cin, cout, k, s, p):
            return [weight_norm(nn.Conv2d(cin, cout, k, s, p)), nn.LeakyReLU(0.2, inplace=True)]

        self.body = nn.Sequential(
            nn.Dropout(0.2),
            *conv(1, ndf, 4, 2, 1),             # -> ndf x 16 x 16
            *conv(ndf, ndf * 2, 4, 2, 1),       # -> (ndf*2) x 8 x 8
            nn.Dropout(0.5),
            *conv(ndf * 2, ndf * 4, 4, 2, 1),   # -> (ndf*4) x 4 x 4
            nn.Flatten(),                       # -> (B, ndf*4*16)
            weight_norm(nn.Linear(ndf * 4 * 16, features)), nn.LeakyReLU(0.2, inplace=True),
        )                                       # -> (B, features): f(x), the features G must match
        self.head = weight_norm(nn.Linear(features, NUM_CLASSES))  # -> (B, 10): l_1..l_K

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.body(x)
        return self.head(f), f


class SGAN(nn.Module, PyTorchModelHubMixin, library_name="gan-demo-suite",
           tags=["gan", "semi-supervised", "fashion-mnist"]):
    """The classifier D and (unless ``generator=False``) the generator G.

    Args:
        nz: length of G's noise vector z.
        ngf: generator width.
        ndf: classifier width (channels of its first layer).
        generator: False for the supervised-only baseline (the classifier alone).
    """

    def __init__(self, nz: int = 100, ngf: int = 32, ndf: int = 32, generator: bool = True):
        super().__init__()
        self.nz = nz
        self.classifier = SemiSupervisedClassifier(ndf)
        self.generator = Generator(nz, ngf) if generator else None
        if generator:
            self.generator.apply(dcgan_init)

    def prior(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return standard_normal(n, self.nz, generator)

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        if self.generator is None:
            raise ValueError("this checkpoint is the supervised-only classifier: it has no generator")
        param = next(self.parameters())
        return net_to_items(self.generator(z.to(param.device)))

    @torch.no_grad()
    def classify(self, items: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
        """Class probabilities p(y | x, y real) ``(B, 10)`` for items ``(B, 1, 28, 28)`` in [0, 1]."""
        param = next(self.parameters())
        was_training = self.training
        self.eval()
        out = [torch.softmax(self.classifier(items_to_net(c).to(param.device, param.dtype))[0].float(), 1).cpu()
               for c in items.split(batch_size)]
        self.train(was_training)
        return torch.cat(out) if out else torch.empty(0, NUM_CLASSES)


class SGANTraining:
    """Algorithm for ``gan_core.trainer.Trainer``. The trainer's batches are unlabelled items; the
    labelled ones (a fixed draw, see ``label_draw``) are held here and sampled with the step's RNG,
    flipped and shifted as the judge's training does (the baseline gets the same)."""

    def __init__(self, model: SGAN, runtime, labelled_u8: torch.Tensor, labels: torch.Tensor, *,
                 lr: float = 4e-4, betas=(0.5, 0.999)):
        self.model = runtime.prepare(model)
        self.runtime = runtime
        self.labelled, self.labels = labelled_u8, labels
        self.optimizers = {"D": torch.optim.Adam(model.classifier.parameters(), lr=lr, betas=betas)}
        if model.generator is not None:
            self.optimizers["G"] = torch.optim.Adam(model.generator.parameters(), lr=lr, betas=betas)
        self.card_info = {"labelled_items": int(labels.shape[0]),
                          "labelled_per_class": torch.bincount(labels, minlength=NUM_CLASSES).tolist()}

    def labelled_batch(self, n: int, gen: torch.Generator):
        from ..judge.classifier import augment
        idx = torch.randint(0, self.labels.shape[0], (n,), generator=gen)
        items = augment(self.labelled[idx].float().div(255).unsqueeze(1), gen)  # (n, 1, 28, 28) in [0, 1]
        return self.runtime.tensor(items_to_net(items)), self.labels[idx].to(self.runtime.device)

    def train_step(self, batch, gen):
        # dropout draws from torch's global RNG: seed it from the step's RNG, so that a resumed run
        # repeats the same masks (and leave the global state as it was)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(torch.randint(0, 2 ** 31, (1,), generator=gen)))
            return self._step(batch, gen)

    def _step(self, batch, gen):
        from ..losses import feature_matching_loss, sgan_discriminator_loss, sgan_log_d
        m, rt = self.model, self.runtime
        D = m.classifier
        x_lab, y = self.labelled_batch(batch[0].shape[0], gen)
        if m.generator is None:  # the baseline: L_supervised alone
            with rt.autocast():
                logits, _ = D(x_lab)
                loss_d = F.cross_entropy(logits.float(), y)
            update(self.optimizers["D"], loss_d)
            return {"loss_sup": loss_d.item(), "acc_lab": (logits.argmax(1) == y).float().mean().item()}
        real = real_images(batch[0], rt)
        z = rt.tensor(m.prior(real.shape[0], gen))

        # (1) Fix G, update D: minimise L_supervised + L_unsupervised (fake = the implicit class K+1)
        with rt.autocast():
            fake = m.generator(z)
            logits_lab, _ = D(x_lab)
            logits_real, f_real = D(real)
            logits_fake, _ = D(fake.detach())
            sup, unsup = sgan_discriminator_loss(logits_lab, y, logits_real, logits_fake)
        update(self.optimizers["D"], sup + unsup)

        # (2) Fix D, update G: feature matching, ||E f(x) - E f(G(z))||^2
        with frozen(D), rt.autocast():
            _, f_fake = D(fake)
            loss_g = feature_matching_loss(f_real.detach(), f_fake)
        update(self.optimizers["G"], loss_g)

        return {"loss_sup": sup.item(), "loss_unsup": unsup.item(), "loss_G_fm": loss_g.item(),
                "acc_lab": (logits_lab.argmax(1) == y).float().mean().item(),
                "D(x)": sgan_log_d(logits_real).exp().mean().item(), "D(G(z))": sgan_log_d(logits_fake).exp().mean().item()}
