"""The Fashion-MNIST judge: a small CNN classifier used to evaluate every generator.

Its penultimate layer (256 features) plays the role Inception-v3 plays in the usual FID
(Heusel et al. 2017): an ImageNet network knows nothing about 28x28 greyscale clothing, and
none can be downloaded here, so the suite trains its own judge and reports the real-vs-real
FID of the same features as the floor every model is compared with.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from huggingface_hub import PyTorchModelHubMixin
from torch import nn

FMNIST_MEAN, FMNIST_STD = 0.2860, 0.3530


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class FashionClassifier(nn.Module, PyTorchModelHubMixin, library_name="gan-demo-suite",
                        tags=["image-classification", "fashion-mnist", "evaluation"]):
    """images ``(B, 1, 28, 28)`` in [0, 1] -> logits ``(B, num_classes)``.

    Args:
        width: channels of the first conv block (the second has twice as many).
        feature_dim: size of the penultimate layer, the FID feature space.
        num_classes: 10 for Fashion-MNIST.
        dropout: dropout before the last layer.
    """

    def __init__(self, width: int = 32, feature_dim: int = 256, num_classes: int = 10, dropout: float = 0.3):
        super().__init__()
        self.body = nn.Sequential(
            _block(1, width),          # (B, 1, 28, 28) -> (B, w, 14, 14)
            _block(width, 2 * width),  # -> (B, 2w, 7, 7)
            nn.Flatten(),              # -> (B, 2w*49)
            nn.Linear(2 * width * 49, feature_dim), nn.BatchNorm1d(feature_dim), nn.ReLU(inplace=True),
        )
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(feature_dim, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate activations ``(B, feature_dim)``."""
        return self.body((x - FMNIST_MEAN) / FMNIST_STD)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.features(x)))


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random horizontal flip and a shift of up to 2 pixels: ``(B, 1, 28, 28)`` in, same out."""
    b = x.shape[0]
    flip = torch.rand(b, generator=gen) < 0.5
    x = torch.where(flip.view(b, 1, 1, 1).to(x.device), x.flip(-1), x)
    padded = F.pad(x, (2, 2, 2, 2))
    dx, dy = torch.randint(0, 5, (2,), generator=gen).tolist()
    return padded[..., dy:dy + 28, dx:dx + 28]


class ClassifierTraining:
    """Cross-entropy training of the judge (an *algorithm* for ``gan_core.trainer.Trainer``)."""

    def __init__(self, model: FashionClassifier, runtime, *, lr: float = 2e-3, total_steps: int = 5000):
        self.model = runtime.prepare(model)
        self.runtime = runtime
        opt = torch.optim.AdamW(self.model.parameters(), lr=lr, weight_decay=5e-4)
        self.optimizers = {"classifier": opt}
        self.lr, self.total_steps = lr, total_steps

    def train_step(self, batch, gen):
        images_u8, labels = batch
        x = augment(images_u8.float().div(255).unsqueeze(1), gen)  # (B, 28, 28) u8 -> (B, 1, 28, 28)
        x, labels = self.runtime.tensor(x), labels.to(self.runtime.device)
        opt = self.optimizers["classifier"]
        step = optimizer_step(opt)
        for group in opt.param_groups:  # cosine decay to zero
            group["lr"] = 0.5 * self.lr * (1 + torch.cos(torch.tensor(step / self.total_steps * torch.pi)).item())
        with self.runtime.autocast():
            logits = self.model(x)
        loss = F.cross_entropy(logits.float(), labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        acc = (logits.argmax(1) == labels).float().mean()
        return {"loss": loss.item(), "acc": acc.item()}


def optimizer_step(opt: torch.optim.Optimizer) -> int:
    """How many updates ``opt`` has made (survives a resume, unlike a Python counter)."""
    state = opt.state.get(opt.param_groups[0]["params"][0])
    return int(state["step"]) if state else 0


@torch.no_grad()
def predict(model: FashionClassifier, images: torch.Tensor, runtime, batch_size: int = 1000):
    """Return ``(logits, features)`` for ``(N, 1, 28, 28)`` images in [0, 1], computed in fp32."""
    model.eval()
    logits, feats = [], []
    for chunk in images.split(batch_size):
        x = runtime.tensor(chunk.float())
        f = model.features(x)
        logits.append(model.head(f).float().cpu())
        feats.append(f.float().cpu())
    return torch.cat(logits), torch.cat(feats)
