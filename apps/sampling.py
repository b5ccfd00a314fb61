"""Tab "GAN sampling": draw from a trained DCGAN, walk its latent space, do vector arithmetic.

The tab receives callables only (``latents(n, seed)``, ``decode(z)``, optionally
``classify(images)``) and never builds a model; ``app.py`` wires it to ``dcgan-fmnist``.
Run alone: ``python -m apps.sampling``.
"""
from __future__ import annotations

from typing import Callable

import gradio as gr
import torch

from . import inputs, tab
from .common import grid

POOL = 24          # exemplars shown for the vector-arithmetic picker
MAX_SEED = 2**31 - 1

EXPLANATION = r"""
A **generative adversarial network** (Goodfellow et al., 2014) is a game between two networks.
The generator $G$ turns a random vector $z \sim \mathcal N(0, I)$ into an image; the discriminator
$D$ outputs the probability that an image is real. They play the minimax game

$$\min_G \max_D \; V(D, G) = \mathbb E_{x \sim p_\text{data}}[\log D(x)] + \mathbb E_{z}[\log(1 - D(G(z)))].$$

Training alternates, exactly as in the lecture: **(1)** fix $G$, take a step on $D$ to tell real
from generated; **(2)** fix $D$, take a step on $G$ to fool it; **(3)** repeat. In practice $G$
minimises the *non-saturating* loss $-\log D(G(z))$, whose gradient does not vanish while $D$ still
rejects every fake. At the game's equilibrium $D = \tfrac12$ everywhere and $V = -\log 4$.

The model here is a **DCGAN** (Radford et al., 2015): all-convolutional, batch norm, ReLU/LeakyReLU,
trained by this suite on Fashion-MNIST (28×28 items padded to 32×32).
"""

ARITHMETIC_HELP = """
**Vector arithmetic** (DCGAN paper, Fig. 7). Single samples are noisy, so the paper averages the
$z$ of **three exemplars** per concept. Pick 1–3 numbered items for each of A, B and C from the
pool; the tab decodes the averages and $\\bar z_A - \\bar z_B + \\bar z_C$, plus 8 neighbours
(the result with uniform noise in ±0.25 added, as in the paper) so you can judge how stable the
result is. The preset (pool seed 20) computes *pullovers − T-shirts + dresses*: what a pullover
has and a T-shirt lacks is long sleeves, and added to a dress they give a long-sleeved dress.
Try your own: sandals − sneakers + ankle boots, trousers − dresses + coats, ...
"""

# pool seed and exemplar picks of the preset (found with the judge: 3 pullovers, 3 T-shirts, 3 dresses)
PRESET = (20, [2, 4, 6], [7, 10, 22], [9, 15, 16])


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation (White 2016): stays on the shell where Gaussian samples live.

    ``z0, z1`` are ``(d,)``, ``t`` is ``(k,)``; returns ``(k, d)``.
    """
    a, b = z0 / z0.norm(), z1 / z1.norm()
    omega = torch.arccos((a * b).sum().clamp(-1.0, 1.0))
    t = t.view(-1, 1)
    if omega.abs() < 1e-6:  # nearly parallel: linear interpolation is exact enough
        return (1 - t) * z0 + t * z1
    so = torch.sin(omega)
    return (torch.sin((1 - t) * omega) / so) * z0 + (torch.sin(t * omega) / so) * z1


def _indices(value, label: str) -> list[int]:
    if value is None or (isinstance(value, (list, tuple)) and len(value) == 0):
        raise gr.Error(f"Pick 1 to 3 exemplars for group {label} from the numbered pool.")
    values = value if isinstance(value, (list, tuple)) else [value]
    if len(values) > 3:
        raise gr.Error(f"Group {label}: pick at most 3 exemplars (got {len(values)}).")
    return [inputs.integer(v, f"exemplar number in group {label}", 0, POOL - 1) for v in values]


def make_handlers(latents: Callable, decode: Callable, classify: Callable | None = None) -> dict:
    """The tab's functions, as plain Python (tested directly and through the app)."""

    def sample_grid(seed, count):
        seed = inputs.integer(seed, "Seed", 0, MAX_SEED)
        count = inputs.integer(count, "Number of samples", 1, 64)
        images = decode(latents(count, seed))
        return grid(images, nrow=min(8, count))

    def interpolate(seed_a, seed_b, steps):
        seed_a = inputs.integer(seed_a, "Seed A", 0, MAX_SEED)
        seed_b = inputs.integer(seed_b, "Seed B", 0, MAX_SEED)
        steps = inputs.integer(steps, "Steps", 2, 16)
        z0, z1 = latents(1, seed_a)[0], latents(1, seed_b)[0]
        z = slerp(z0, z1, torch.linspace(0, 1, steps))  # (steps, nz)
        return grid(decode(z), nrow=steps, scale=3)

    def exemplars(seed):
        seed = inputs.integer(seed, "Pool seed", 0, MAX_SEED)
        images = decode(latents(POOL, seed))
        caption = ""
        if classify is not None:
            names = classify(images)
            caption = "The judge classifier sees: " + ", ".join(f"**{i}** {n}" for i, n in enumerate(names))
        return grid(images, nrow=8, scale=3, numbered=True), caption

    def arithmetic(seed, group_a, group_b, group_c):
        seed = inputs.integer(seed, "Pool seed", 0, MAX_SEED)
        a, b, c = _indices(group_a, "A"), _indices(group_b, "B"), _indices(group_c, "C")
        z = latents(POOL, seed)                                   # (POOL, nz)
        za, zb, zc = z[a].mean(0), z[b].mean(0), z[c].mean(0)     # (nz,) each
        result = za - zb + zc
        noise = torch.rand(8, result.shape[0], generator=torch.Generator().manual_seed(seed)) * 0.5 - 0.25
        neighbours = result + noise                               # (8, nz)
        equation = grid(decode(torch.stack([za, zb, zc, result])), nrow=4, scale=4)
        return equation, grid(decode(neighbours), nrow=8, scale=3)

    return {"sample_grid": sample_grid, "interpolate": interpolate,
            "exemplars": exemplars, "arithmetic": arithmetic}


def _history_frame(history: list[dict]):
    import pandas as pd
    rows = [{"step": h["step"], "series": key, "value": h[key]}
            for h in history for key in ("loss_D", "loss_G", "D(x)", "D(G(z))") if key in h]
    return pd.DataFrame(rows)


def create_demo(latents: Callable, decode: Callable, classify: Callable | None = None,
                history: list[dict] | None = None, metrics: dict | None = None) -> gr.Blocks:
    h = make_handlers(latents, decode, classify)
    with tab.blocks() as demo:
        with gr.Accordion("What is going on here? The minimax game", open=True):
            gr.Markdown(EXPLANATION, latex_delimiters=[{"left": "$$", "right": "$$", "display": True},
                                                       {"left": "$", "right": "$", "display": False}])
            if metrics:
                gr.Markdown(
                    f"**This checkpoint, measured** (`python -m gan_core.evaluate dcgan-fmnist`): judge FID "
                    f"{metrics.get('judge_fid', float('nan')):.1f} (real data: "
                    f"{metrics.get('judge_fid_floor_real_train', float('nan')):.1f}, untrained generator: "
                    f"{metrics.get('judge_fid_untrained', float('nan')):.0f}); all 10 classes appear, the rarest in "
                    f"{100 * metrics.get('min_class_share', float('nan')):.1f}% of samples.")
            if history:
                gr.LinePlot(_history_frame(history), x="step", y="value", color="series",
                            title="Training: losses and D outputs (D(x) on real, D(G(z)) on fakes)",
                            height=260)

        gr.Markdown("### 1. Sample: every seed is a different z ~ N(0, I)")
        with gr.Row():
            seed = gr.Number(value=0, precision=0, label="Seed", minimum=0, maximum=MAX_SEED)
            count = gr.Slider(1, 64, value=32, step=1, label="Number of samples")
            go = gr.Button("Generate", variant="primary")
        out_grid = gr.Image(label="Samples", type="pil", format="png", elem_id="sampling-grid")
        go.click(h["sample_grid"], [seed, count], out_grid, api_name="sample_grid")

        gr.Markdown("### 2. Walk the latent space\nSpherical interpolation (slerp) between the z of two seeds. "
                    "Smooth transitions mean the generator learned a continuous space, not a lookup table.")
        with gr.Row():
            seed_a = gr.Number(value=1, precision=0, label="Seed A", minimum=0, maximum=MAX_SEED)
            seed_b = gr.Number(value=2, precision=0, label="Seed B", minimum=0, maximum=MAX_SEED)
            steps = gr.Slider(2, 16, value=10, step=1, label="Steps")
            go_i = gr.Button("Interpolate", variant="primary")
        strip = gr.Image(label="From A to B", type="pil", format="png")
        go_i.click(h["interpolate"], [seed_a, seed_b, steps], strip, api_name="interpolate")

        gr.Markdown("### 3. Latent vector arithmetic")
        gr.Markdown(ARITHMETIC_HELP, latex_delimiters=[{"left": "$", "right": "$", "display": False}])
        with gr.Row():
            pool_seed = gr.Number(value=PRESET[0], precision=0, label="Pool seed", minimum=0, maximum=MAX_SEED)
            show = gr.Button("Show exemplar pool")
        pool = gr.Image(label=f"Exemplar pool (numbered 0-{POOL - 1})", type="pil", format="png")
        pool_caption = gr.Markdown()
        choices = list(range(POOL))
        with gr.Row():
            group_a = gr.Dropdown(choices, value=PRESET[1], multiselect=True, max_choices=3, label="A (1-3 items)")
            group_b = gr.Dropdown(choices, value=PRESET[2], multiselect=True, max_choices=3, label="− B (1-3 items)")
            group_c = gr.Dropdown(choices, value=PRESET[3], multiselect=True, max_choices=3, label="+ C (1-3 items)")
        go_a = gr.Button("Compute A − B + C", variant="primary")
        with gr.Row():
            equation = gr.Image(label="mean A | mean B | mean C | A − B + C", type="pil", format="png")
            neighbours = gr.Image(label="Neighbours of the result (±0.25 uniform noise)", type="pil", format="png")
        show.click(h["exemplars"], pool_seed, [pool, pool_caption], api_name="exemplars")
        go_a.click(h["arithmetic"], [pool_seed, group_a, group_b, group_c], [equation, neighbours],
                   api_name="vector_arithmetic")
        demo.load(h["exemplars"], pool_seed, [pool, pool_caption], api_name="initial_exemplars",
                  api_visibility="undocumented")
    return demo


if __name__ == "__main__":
    import functools

    import gan_core
    name, _ = gan_core.GENERATORS["dcgan"]
    create_demo(functools.partial(gan_core.latents, name), functools.partial(gan_core.decode, name)).launch()
