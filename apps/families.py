"""Tab "GAN vs VAE vs diffusion": one seed through a GAN, a VAE and a diffusion model, side by side.

* GAN: DCGAN (Radford et al. 2015, https://arxiv.org/abs/1511.06434), one network pass per item.
* VAE: Kingma & Welling 2013, https://arxiv.org/abs/1312.6114, one decoder pass per item.
* Diffusion: DDPM (Ho et al. 2020, https://arxiv.org/abs/2006.11239) sampled with DDIM (Song et al.
  2021, https://arxiv.org/abs/2010.02502): one U-Net pass per *step*, 10 to 100 of them here.

The tab receives callables only (``app.py`` wires them to the checkpoints of ``gan_core.FAMILIES``)
and shows the denoising as it happens: x_t streamed every few steps. Run alone:
``python -m apps.families``.
"""
from __future__ import annotations

import time
from typing import Callable

import gradio as gr

from gan_core.fmnist import FMNIST_CLASSES

from . import inputs, tab
from .common import grid

KEYS = ("gan", "vae", "diffusion")  # {key: (checkpoint, label)} arrives as ``families``
ROWS = {"dcgan": "DCGAN", "acgan": "AC-GAN (told the class)", "vae16": "VAE, 16-D", "ddpm1000": "DDPM, 1000 steps",
        "ddim100": "DDIM, 100 steps", "ddim50": "DDIM, 50 steps", "ddim25": "DDIM, 25 steps", "ddim10": "DDIM, 10 steps",
        "small_ddim50": "small U-Net, DDIM, 50 steps", "small_ddim25": "small U-Net, DDIM, 25 steps",
        "small_ddim10": "small U-Net, DDIM, 10 steps",
        "cond_ddpm1000": "class-conditional DDPM, 1000 steps (told the class)",
        "cond_ddim50": "class-conditional, DDIM, 50 steps (told the class)",
        "cond_ddim25": "class-conditional, DDIM, 25 steps (told the class)",
        "cond_ddim10": "class-conditional, DDIM, 10 steps (told the class)",
        "cond_ddim50_w05": "class-conditional, DDIM, 50 steps, guidance w = 0.5",
        "cond_ddim50_w1": "class-conditional, DDIM, 50 steps, guidance w = 1",
        "cond_ddim50_w2": "class-conditional, DDIM, 50 steps, guidance w = 2"}
CONDITIONAL = ("cond",)  # keys of ``diffusion_models`` whose U-Net takes a class (and classifier-free guidance)
IN_TURN = "each class in turn"
MAX_GUIDANCE = 4.0
N_ITEMS = 8          # items per family in the side-by-side row
MAX_SEED = 2**31 - 1
MAX_STEPS = 100      # DDIM steps on the slider (1000-step DDPM is minutes per item on a CPU)

EXPLANATION = """
A **GAN** maps a code z to an item in one pass; nothing makes it cover every mode, and a
discriminator, not a likelihood, judges it. A **VAE** decodes z in one pass too, and is trained to
reconstruct every item, which covers the data but blurs it. A **diffusion model** learns to remove a
little Gaussian noise at a time (DDPM: predict the noise ε in x_t, a plain regression) and samples
by running that denoiser from pure noise x_T to x_0, one network pass per step: DDIM takes the same
network through 10-100 of the 1,000 training steps, deterministically, so x_T acts as a latent code.
"""


def quality_speed_table(metrics: dict) -> str:
    """The measured rows (``metrics.json`` of the diffusion checkpoint) as a Markdown table."""
    n = metrics.get("comparison_n")
    if not n:
        return "*Not measured yet: see BENCHMARKS.md ('Diffusion beside the GAN and the VAE') for the command.*"
    lines = [f"| model | judge FID @ {n} | classes' KL to uniform | NN ratio | s per 64 items (CPU) | "
             "judge agrees with the told class |", "|---|---|---|---|---|---|"]
    for row, label in ROWS.items():
        if f"{row}_fid" in metrics:
            cost = metrics.get(f"{row}_s_per_64")  # measured apart, on a CPU (eval_diffusion.py cost)
            agree = metrics.get(f"{row}_consistency")
            lines.append(f"| {label} | {metrics[f'{row}_fid']:.1f} | {metrics[f'{row}_kl']:.3f} | "
                         f"{metrics[f'{row}_nn_ratio']:.2f} | {'–' if cost is None else f'{cost:.2f}'} | "
                         f"{'–' if agree is None else f'{agree:.0%}'} |")
    small = metrics.get("comparison_n_small")
    if small and "ddpm1000_fid_small" in metrics and "ddpm1000_fid" not in metrics:
        lines.append(f"\nDDPM with 1000 steps was measured on {small} items only (FID @ {small}: "
                     f"{metrics['ddpm1000_fid_small']:.1f}, DDIM 50 steps on the same count: "
                     f"{metrics.get('ddim50_fid_small', float('nan')):.1f}).")
    return "\n".join(lines)


def unets(families: dict, diffusion_models: dict | None) -> dict:
    """{label: checkpoint} of the diffusion U-Nets on offer: ``diffusion_models`` ({key: (checkpoint,
    label)}), or the family's own model alone."""
    models = diffusion_models or {"diffusion": families["diffusion"]}
    return {label: name for name, label in models.values()}


def make_handlers(generate: Callable, denoising: Callable, families: dict, diffusion_models: dict | None = None,
                  class_names=FMNIST_CLASSES) -> dict:
    """The tab's event handlers, testable without a browser.

    ``generate(checkpoint, n, seed, **options)`` -> items ``(n, 1, 28, 28)`` in [0, 1];
    ``denoising(checkpoint, n, seed, steps=, every=)`` yields ``(step, t, x_t)``;
    ``diffusion_models``: {key: (checkpoint, label)} of the U-Nets to choose from (the first is the default);
    those under a key of ``CONDITIONAL`` also get the class (``label``, when one is chosen) and ``guidance`` (when > 0).
    """
    names = {key: families[key][0] for key in KEYS}
    choices = unets(families, diffusion_models)
    default = next(iter(choices))
    conditional = {name for key, (name, _) in (diffusion_models or {}).items() if key in CONDITIONAL}
    classes = [IN_TURN, *class_names]

    def told(name, item_class, guidance) -> dict:
        """The class and guidance options of the chosen U-Net (none for an unconditional one)."""
        item_class = inputs.choice(item_class, "class", classes)
        guidance = inputs.number(guidance, "guidance", 0, MAX_GUIDANCE)
        if name not in conditional:
            if item_class != IN_TURN or guidance:
                raise gr.Error("Only the class-conditional U-Net takes a class and guidance: choose it above, "
                               f"or set the class to '{IN_TURN}' and guidance to 0.")
            return {}
        options = {"guidance": guidance} if guidance else {}
        if item_class != IN_TURN:
            options["label"] = classes.index(item_class) - 1
        return options

    def side_by_side(seed, steps, unet=default, item_class=IN_TURN, guidance=0.0):
        seed = inputs.integer(seed, "seed", 0, MAX_SEED)
        steps = inputs.integer(steps, "DDIM steps", 1, MAX_STEPS)
        chosen = {**names, "diffusion": inputs.choice(unet, "diffusion U-Net", choices)}
        cond = told(chosen["diffusion"], item_class, guidance)
        pictures, times = [], []
        for key in KEYS:
            options = {"steps": steps, **cond} if key == "diffusion" else {}
            t0 = time.perf_counter()
            items = generate(chosen[key], N_ITEMS, seed, **options)
            times.append(time.perf_counter() - t0)
            pictures.append(grid(items, nrow=N_ITEMS, scale=3))
        labels = {**{k: families[k][1] for k in KEYS}, "diffusion": f"{families['diffusion'][1]}, {unet}"}
        caption = " · ".join(f"{labels[k]}: {t * 1000:.0f} ms for {N_ITEMS} items" for k, t in zip(KEYS, times))
        return (*pictures, f"Seed {seed}, DDIM with {steps} steps{told_as(chosen['diffusion'], cond)}. {caption} "
                           "(this server, now).")

    def told_as(name, cond) -> str:
        if name not in conditional:
            return ""
        shown = class_names[cond["label"]] if "label" in cond else "classes 0-7 in turn"
        return f", the diffusion model told: {shown}, guidance w = {cond.get('guidance', 0):g}"

    def watch_denoising(seed, steps, every, unet=default, item_class=IN_TURN, guidance=0.0):
        seed = inputs.integer(seed, "seed", 0, MAX_SEED)
        steps = inputs.integer(steps, "DDIM steps", 1, MAX_STEPS)
        every = inputs.integer(every, "show every", 1, MAX_STEPS)
        name = inputs.choice(unet, "diffusion U-Net", choices)
        cond = told(name, item_class, guidance)
        for step, t, x in denoising(name, N_ITEMS, seed, steps=steps, every=every, **cond):
            yield grid(x, nrow=N_ITEMS, scale=3), f"step {step} of {steps}, denoised from t = {t}" + (
                ": the sample" if step == steps else "")

    return {"side_by_side": side_by_side, "watch_denoising": watch_denoising}


def create_demo(generate: Callable, denoising: Callable, families: dict, metrics: dict,
                diffusion_models: dict | None = None) -> gr.Blocks:
    """Build the tab. ``families``: {"gan"|"vae"|"diffusion": (checkpoint, label)}; ``metrics``: the
    diffusion checkpoint's figures (``metrics.json``), whose comparison rows fill the table;
    ``diffusion_models``: {key: (checkpoint, label)}, the U-Nets a radio offers (default: the family's)."""
    h = make_handlers(generate, denoising, families, diffusion_models)
    choices = list(unets(families, diffusion_models))
    with tab.blocks() as demo:
        gr.Markdown("## GAN vs VAE vs diffusion\n" + EXPLANATION)
        with gr.Row():
            seed = gr.Number(value=0, precision=0, label="seed (the same for all three)", minimum=0, maximum=MAX_SEED)
            steps = gr.Slider(1, MAX_STEPS, value=25, step=1, label="DDIM steps (diffusion)")
            every = gr.Slider(1, 25, value=2, step=1, label="show x_t every … steps")
        unet = gr.Radio(choices, value=choices[0], label="diffusion U-Net", visible=len(choices) > 1,
                        info="the small U-Net was distilled from the large one; the class-conditional one is told "
                             "what to draw; the table gives each one's cost and quality")
        has_conditional = any(key in CONDITIONAL for key in (diffusion_models or {}))
        with gr.Row(visible=has_conditional):
            item_class = gr.Dropdown([IN_TURN, *FMNIST_CLASSES], value=IN_TURN, label="class (class-conditional U-Net)")
            guidance = gr.Slider(0, MAX_GUIDANCE, value=0, step=0.5, label="classifier-free guidance w",
                                 info="0: the plain conditional model; more: items more typical of the class, less varied")
        with gr.Row():
            go = gr.Button("Sample all three", variant="primary")
            watch = gr.Button("Watch the denoising")
        outs = [gr.Image(label=families[k][1], type="pil", format="png", elem_id=f"families-{k}") for k in KEYS]
        caption = gr.Markdown()
        go.click(h["side_by_side"], [seed, steps, unet, item_class, guidance], [*outs, caption], api_name="families_side_by_side",
                 concurrency_id="heavy")  # one U-Net pass per DDIM step: seconds on a CPU
        frame = gr.Image(label="diffusion: x_t as the sampler runs", type="pil", format="png")
        frame_caption = gr.Markdown()
        watch.click(h["watch_denoising"], [seed, steps, every, unet, item_class, guidance], [frame, frame_caption],
                    api_name="families_denoising", concurrency_id="heavy")
        gr.Markdown("### Quality (the judge) and speed (a 2-core CPU)\n" + quality_speed_table(metrics))
        gr.Markdown(trade_offs(metrics))
    return demo


TRADE_KEYS = ("comparison_n", "dcgan_fid", "vae16_fid", "ddpm1000_fid", "ddim50_fid", "ddim10_fid", "dcgan_s_per_64",
              "vae16_s_per_64", "ddim25_s_per_64", "ddim50_s_per_64", "dcgan_kl", "vae16_kl",
              "ddim50_kl")
TRADE_OFFS = """
**What each family trades** (judge FID on {comparison_n} items, lower is better; time per 64 items
on 2 CPU cores). The GAN is the fastest sampler ({dcgan_s_per_64:.2f} s, one pass) at FID
{dcgan_fid:.1f}. Nothing in its loss asks it to cover every class, so measure it rather than assume it
(KL of its classes to uniform {dcgan_kl:.3f}), and it has no encoder. The VAE is as fast
({vae16_s_per_64:.2f} s) and has an encoder and a smooth latent space, but its blur costs quality (FID
{vae16_fid:.1f}, KL {vae16_kl:.3f}). The diffusion model draws the best items from a plain, stable
regression objective when it takes its time (FID {ddpm1000_fid:.1f} with 1000 DDPM steps); with fewer
steps the one-pass GAN competes ({ddim50_fid:.1f} with 50 DDIM steps, {ddim10_fid:.1f} with 10; KL
{ddim50_kl:.3f} at 50). It pays in sampling time, one U-Net pass per step: {ddim25_s_per_64:.1f} s at 25 DDIM steps,
{ddim50_s_per_64:.1f} s at 50, and 20 times the 50-step figure for 1000 DDPM steps. With DDIM its x_T is a latent you
can walk too, though a 784-D one with no encoder. How each was trained, and on what: the model cards,
and BENCHMARKS.md ('Diffusion beside the GAN and the VAE').
"""

CONDITIONED = """ Told the class, a GAN does better than all three: the AC-GAN of the architectures tab reaches FID
{acgan_fid:.1f} on a class-balanced sample, below the 1000-step DDPM. The class is information that the
three unconditional models must find for themselves, so compare it with care.
"""

COND_KEYS = ("acgan_fid", "cond_ddim50_fid", "ddim50_fid", "acgan_consistency", "cond_ddim50_consistency",
             "cond_ddim50_w1_fid", "cond_ddim50_w1_consistency")
BOTH_TOLD = """ Told the class, both families improve, so compare the two told ones: the AC-GAN of the architectures
tab reaches FID {acgan_fid:.1f} on a class-balanced sample in one pass; the class-conditional U-Net (the large
one, fine-tuned on the labels) reaches {cond_ddim50_fid:.1f} with 50 DDIM steps (unconditional:
{ddim50_fid:.1f}){ddpm}. The judge puts {acgan_consistency:.0%} of the AC-GAN's items in the class they were told,
and {cond_ddim50_consistency:.0%} of the diffusion model's. Classifier-free guidance trades the other way: with
w = 1 that agreement rises to {cond_ddim50_w1_consistency:.0%} and FID worsens to {cond_ddim50_w1_fid:.1f}, items
more typical of their class and less varied.
"""
DDPM_AT = ("; with 1000 DDPM steps, measured on {at500_n} items only (it is slow), {cond_ddpm1000_fid_at500:.1f} "
           "against the AC-GAN's {acgan_fid_at500:.1f} on as many")


SMALL_KEYS = ("small_ddim25_fid", "small_ddim25_s_per_64", "ddim25_fid")
SMALLER = """ A smaller network is the other way to pay less: the U-Net distilled from this one (16/32/64 channels
instead of 32/64/64) samples 25 DDIM steps in {small_ddim25_s_per_64:.1f} s per 64 items, at FID
{small_ddim25_fid:.1f} against the large one's {ddim25_fid:.1f} with the same steps.
"""


def trade_offs(metrics: dict) -> str:
    """The paragraph on what each family trades, with the measured figures ("" until they are all there)."""
    if not all(k in metrics for k in TRADE_KEYS):
        return ""
    text = TRADE_OFFS.format(**{k: metrics[k] for k in TRADE_KEYS}).rstrip()
    if all(k in metrics for k in SMALL_KEYS):
        text += SMALLER.format(**{k: metrics[k] for k in SMALL_KEYS}).rstrip()
    if all(k in metrics for k in COND_KEYS):
        at = ("at500_n", "cond_ddpm1000_fid_at500", "acgan_fid_at500")
        ddpm = DDPM_AT.format(**metrics) if all(k in metrics for k in at) else ""
        return text + BOTH_TOLD.format(ddpm=ddpm, **{k: metrics[k] for k in COND_KEYS})
    return text + (CONDITIONED.format(**metrics) if "acgan_fid" in metrics else "\n")


if __name__ == "__main__":
    import gan_core
    from gan_core import checkpoints
    name = gan_core.FAMILIES["diffusion"][0]
    inputs.harden(create_demo(gan_core.generate, gan_core.denoising, gan_core.FAMILIES,
                              checkpoints.read_json(name, "metrics.json"))).launch()
