"""InfoGAN (Chen et al. 2016, https://arxiv.org/abs/1606.03657) on Fashion-MNIST 32x32, no labels.

G's input is split into incompressible noise z and a latent code c = (c_cat, c_1, c_2):
    c_cat ~ Cat(K = 10, p = 0.1)     one-hot, 10 values
    c_1, c_2 ~ U(-1, 1)              two continuous codes
Nothing forces G to use c, so InfoGAN adds the mutual information I(c; G(z, c)), made tractable
by an auxiliary distribution Q(c | x) (paper, Eqs. 3-5):

    min_{G,Q} max_D  V_InfoGAN(D, G, Q) = V(D, G) - lambda L_I(G, Q),
    L_I(G, Q) = E_{c ~ P(c), x ~ G(z, c)}[log Q(c | x)] + H(c)  <=  I(c; G(z, c))

Q shares D's body (DCGAN's discriminator features) and adds one small head, so the bound costs
almost nothing. lambda = 1 for the categorical code as in the paper. Labels are never used: which
class each value of c_cat stands for is found afterwards (``gan_core.gan.evaluate``).
"""
from __future__ import annotations

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

from .. import distributed
from ..prior import standard_normal
from .common import NUM_CLASSES, adam_pair, frozen, items_to_net, net_to_items, one_hot, real_images, update
from .dcgan import Discriminator, Generator, dcgan_init

N_CONT = 2  # continuous codes


class InfoGAN(nn.Module, PyTorchModelHubMixin, library_name="gan-demo-suite",
              tags=["gan", "infogan", "fashion-mnist"]):
    """G(z, c), D(x) and Q(c | x) saved together. A latent vector is [z, onehot(c_cat), c_1, c_2].

    Args:
        nz: length of the incompressible noise z (62 in the paper's MNIST model).
        ngf: generator width (channels of the last hidden layer).
        ndf: discriminator width (channels of the first layer).
        z_std: z ~ N(0, z_std^2 I). 1 in the paper; ClusterGAN (Mukherjee et al. 2019,
            https://arxiv.org/abs/1809.03627) draws z with std 0.1 beside the one-hot code, so that the
            code, not z, decides which cluster (class) an item falls in.
    """

    def __init__(self, nz: int = 62, ngf: int = 32, ndf: int = 32, z_std: float = 1.0):
        super().__init__()
        self.nz, self.z_std = nz, z_std
        self.generator = Generator(nz + NUM_CLASSES + N_CONT, ngf)  # (B, nz+12) -> (B, 1, 32, 32)
        self.discriminator = Discriminator(ndf, 1)                 # (B, 1, 32, 32) -> (B, ndf*4, 4, 4) -> (B,)
        self.q_head = nn.Sequential(                               # Q(c | x) on D's (ndf*4) x 4 x 4 state
            nn.Conv2d(ndf * 4, 128, 4, 1, 0, bias=False),          # -> (B, 128, 1, 1)
            nn.BatchNorm2d(128),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(128, NUM_CLASSES + N_CONT, 1),               # -> (B, 10 + 2, 1, 1): logits, means
        )
        self.apply(dcgan_init)

    def set_codes(self, latent: torch.Tensor, codes: dict | None) -> torch.Tensor:
        """Overwrite the code part of ``latent`` ``(B, nz+12)``: ``codes`` may give "category" (an int
        0-9 or B of them) and "continuous" (2 values, or ``(B, 2)``, in [-1, 1]); the rest stays."""
        latent = latent.clone()
        if codes and codes.get("category") is not None:
            cat = torch.as_tensor(codes["category"]).long().flatten().expand(latent.shape[0])
            latent[:, self.nz:self.nz + NUM_CLASSES] = one_hot(cat)
        if codes and codes.get("continuous") is not None:
            cont = torch.as_tensor(codes["continuous"], dtype=torch.float32)
            latent[:, self.nz + NUM_CLASSES:] = cont.reshape(-1, N_CONT).expand(latent.shape[0], N_CONT)
        return latent

    def prior(self, n: int, generator: torch.Generator | None = None, codes: dict | None = None) -> torch.Tensor:
        """[z ~ N(0, z_std^2 I), onehot(c_cat ~ Cat(10)), c ~ U(-1, 1)^2] ``(n, nz + 12)``, then ``codes`` applied."""
        z = standard_normal(n, self.nz, generator) * self.z_std
        cat = torch.randint(0, NUM_CLASSES, (n,), generator=generator)
        cont = torch.rand(n, N_CONT, generator=generator) * 2 - 1
        return self.set_codes(torch.cat([z, one_hot(cat), cont], 1), codes)

    def q(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """D's state ``(B, ndf*4, 4, 4)`` -> (c_cat logits ``(B, 10)``, c means ``(B, 2)``)."""
        out = self.q_head(h).flatten(1)
        return out[:, :NUM_CLASSES], out[:, NUM_CLASSES:]

    @torch.no_grad()
    def decode(self, latent: torch.Tensor, codes: dict | None = None) -> torch.Tensor:
        """``(B, nz + 12)`` -> items ``(B, 1, 28, 28)`` in [0, 1]."""
        param = next(self.parameters())
        return net_to_items(self.generator(self.set_codes(latent, codes).to(param.device)))

    @torch.no_grad()
    def infer_codes(self, items: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Q on items ``(B, 1, 28, 28)`` in [0, 1]: (P(c_cat | x) ``(B, 10)``, E[c | x] ``(B, 2)``)."""
        param = next(self.parameters())
        logits, means = self.q(self.discriminator.features(items_to_net(items).to(param.device, param.dtype)))
        return torch.softmax(logits.float(), 1).cpu(), means.float().cpu()


class InfoGANTraining:
    """Algorithm for ``gan_core.trainer.Trainer``: D and Q step, then G step; Adam lr 2e-4, beta1 0.5.

    Args:
        lambda_cat, lambda_cont: weights of L_I for the categorical and the continuous codes.
    """

    def __init__(self, model: InfoGAN, runtime, *, lambda_cat: float = 1.0, lambda_cont: float = 1.0,
                 lr_d: float = 2e-4, lr_g: float = 2e-4):
        self.model = runtime.prepare(model)
        self.runtime = runtime
        self.lambdas = (lambda_cat, lambda_cont)
        self.card_info = {"lambda_cat": lambda_cat, "lambda_cont": lambda_cont}
        d_params = list(model.discriminator.parameters()) + list(model.q_head.parameters())
        self.optimizers = adam_pair(d_params, model.generator.parameters(), lr_d, lr_g)

    def train_step(self, batch, gen):
        from ..losses import discriminator_loss, generator_loss_nonsaturating, info_loss, minimax_value
        m, rt = self.model, self.runtime
        real = real_images(batch[0], rt)
        latent = distributed.draw(lambda n: m.prior(n, gen), real.shape[0])  # this rank's rows
        cat = latent[:, m.nz:m.nz + NUM_CLASSES].argmax(1).to(rt.device)
        cont = latent[:, m.nz + NUM_CLASSES:].to(rt.device)
        latent = rt.tensor(latent)

        # (1) Fix G, update D and Q: maximise V(D, G) + lambda L_I (Q recovers c from the detached fakes)
        with rt.autocast():
            fake = m.generator(latent)
            h_fake = m.discriminator.features(fake.detach())
            d_real, d_fake = m.discriminator(real), m.discriminator.head(h_fake).flatten()
            q_cat, q_cont = m.q(h_fake)
            minus_l_i = info_loss(q_cat, cat, q_cont, cont, *self.lambdas)
            loss_d = discriminator_loss(d_real, d_fake) + minus_l_i
        update(self.optimizers["D"], loss_d)

        # (2) Fix D and Q, update G: maximise log D(G(z, c)) + lambda L_I (c must stay readable)
        with frozen(m.discriminator), frozen(m.q_head), rt.autocast():
            h = m.discriminator.features(fake)
            cat_logits, cont_mean = m.q(h)
            loss_g = generator_loss_nonsaturating(m.discriminator.head(h).flatten()) + \
                info_loss(cat_logits, cat, cont_mean, cont, *self.lambdas)
        update(self.optimizers["G"], loss_g)

        return {"loss_D": loss_d.item(), "loss_G": loss_g.item(), "V": minimax_value(d_real, d_fake).item(),
                "-L_I": minus_l_i.item(), "acc_c_cat": (cat_logits.argmax(1) == cat).float().mean().item(),
                "D(G(z))": torch.sigmoid(d_fake.float()).mean().item()}
