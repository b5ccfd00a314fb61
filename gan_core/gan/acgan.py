"""AC-GAN, auxiliary classifier GAN (Odena, Olah & Shlens 2017, https://arxiv.org/abs/1610.09585).

G(z, c) is the conditional generator of ``cgan.py``: [z, onehot(c)] in, a 32x32 item out. D does
*not* see the class; it outputs two things from one body (DCGAN's discriminator features):

    P(S | X)   the source, real or fake         (DCGAN's head, a logit)
    P(C | X)   the class, 10 logits             (a second 4x4 head on the same (ndf*4) x 4 x 4 state)

and the paper's two log-likelihoods (Eqs. 2-3) are

    L_S = E[log P(S = real | X_real)] + E[log P(S = fake | X_fake)]
    L_C = E[log P(C = c | X_real)]    + E[log P(C = c | X_fake)]

D is trained to maximise L_S + L_C, G to maximise L_C - L_S: both want the class recognisable,
only D wants real and fake told apart.
"""
from __future__ import annotations

import torch
from torch import nn

from .cgan import CGAN, CGANTraining
from .common import NUM_CLASSES, frozen, update
from .dcgan import Discriminator, dcgan_init


class ACGAN(CGAN, library_name="gan-demo-suite", tags=["gan", "ac-gan", "fashion-mnist"]):
    """cGAN's G(z, c) and a D with a source head and a class head.

    Args:
        nz: length of the noise vector z (G's input is nz + 10 long).
        ngf: generator width (channels of the last hidden layer).
        ndf: discriminator width (channels of the first layer).
    """

    def __init__(self, nz: int = 100, ngf: int = 32, ndf: int = 32):
        super().__init__(nz, ngf, ndf)
        self.discriminator = Discriminator(ndf, 1)  # x (B, 1, 32, 32) -> (B, ndf*4, 4, 4) -> source logit (B,)
        self.class_head = nn.Conv2d(ndf * 4, NUM_CLASSES, 4, 1, 0, bias=False)  # (B, ndf*4, 4, 4) -> (B, 10, 1, 1)
        self.apply(dcgan_init)

    def d_both(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x ``(B, 1, 32, 32)`` -> (source logit ``(B,)``, class logits ``(B, 10)``)."""
        h = self.discriminator.features(x)  # (B, ndf*4, 4, 4)
        return self.discriminator.head(h).flatten(), self.class_head(h).flatten(1)

    @torch.no_grad()
    def classify(self, items: torch.Tensor) -> torch.Tensor:
        """D's own class probabilities P(C | X) ``(B, 10)`` for items ``(B, 1, 28, 28)`` in [0, 1]."""
        from .common import items_to_net
        param = next(self.parameters())
        _, logits = self.d_both(items_to_net(items).to(param.device, param.dtype))
        return torch.softmax(logits.float(), 1).cpu()


class ACGANTraining(CGANTraining):
    """Algorithm for ``gan_core.trainer.Trainer``: one D and one G update per step, Adam lr 2e-4,
    beta1 0.5. Fakes use the real batch's classes (uniform over the data set). D's optimiser
    also owns the class head.

    Args:
        d_class_fakes: True (the paper): D's class head also learns the requested class of the
            fakes, E[log P(C = c | X_fake)]. False: D maximises L_S + E[log P(C = c | X_real)] only,
            so its class head stays a classifier of real items, and G cannot make a fake
            "recognisable" by teaching the head its own signature for a class. G's loss is the
            paper's either way.
        g_class_weight: w in G's loss -L_S + w (-L_C); 1 in the paper. Below 1, G trades how typical of
            its class an item looks for variety within the class.
        ema: as ``CGANTraining``.
    """

    def __init__(self, model: "ACGAN", runtime, *, lr_d: float = 2e-4, lr_g: float = 2e-4, ema: float = 0.0,
                 d_class_fakes: bool = True, g_class_weight: float = 1.0):
        super().__init__(model, runtime, lr_d=lr_d, lr_g=lr_g, ema=ema)
        self.d_class_fakes, self.g_class_weight = d_class_fakes, g_class_weight
        info = getattr(self, "card_info", {})
        if not d_class_fakes:
            info["d_class_loss"] = "E[log P(C = c | X_real)] only (the paper adds the fakes' term)"
        if g_class_weight != 1.0:
            info["g_class_weight"] = g_class_weight
        if info:
            self.card_info = info

    def d_parameters(self, model) -> list:
        return list(model.discriminator.parameters()) + list(model.class_head.parameters())

    def train_step(self, batch, gen):
        from ..losses import class_loss, discriminator_loss, generator_loss_nonsaturating, minimax_value
        m, rt = self.gan, self.runtime
        real, c, z = self.inputs(batch, gen)

        # (1) Fix G, update D: maximise L_S + L_C, i.e. minimise -L_S - L_C
        with rt.autocast():
            fake = m.g(z, c)
            (s_real, c_real), (s_fake, c_fake) = m.d_both(real), m.d_both(fake.detach())
            minus_l_s = discriminator_loss(s_real, s_fake)
            minus_l_c = class_loss(c_real, c) + (class_loss(c_fake, c) if self.d_class_fakes else 0.0)
            loss_d = minus_l_s + minus_l_c
        update(self.optimizers["D"], loss_d)

        # (2) Fix D, update G: maximise L_C - L_S; the -L_S part in its non-saturating form
        #     -log P(S = real | X_fake), as DCGAN's G
        with frozen(m.discriminator), frozen(m.class_head), rt.autocast():
            s_fake_g, c_fake_g = m.d_both(fake)
            loss_g = generator_loss_nonsaturating(s_fake_g) + self.g_class_weight * class_loss(c_fake_g, c)
        update(self.optimizers["G"], loss_g)
        self.after_g_step()

        return {"loss_D": loss_d.item(), "loss_G": loss_g.item(), "V": minimax_value(s_real, s_fake).item(),
                "L_C(real)": -class_loss(c_real, c).item(),
                "acc_real": (c_real.argmax(1) == c).float().mean().item(),
                "D(G(z))": torch.sigmoid(s_fake.float()).mean().item()}
