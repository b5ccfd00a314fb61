"""Tab "GAN architectures": four ways to give a GAN more than noise, side by side.

Conditional GAN (the label goes into G and D), AC-GAN (D also names the class), InfoGAN (codes
G must keep readable, no labels at all) and the semi-supervised GAN (D is a classifier that
learns from 100 labels plus unlabelled items). The tab receives callables and labels only;
``app.py`` wires them to the checkpoints. Run alone: ``python -m apps.architectures``.
"""
from __future__ import annotations

from typing import Callable

import gradio as gr
import torch

from gan_core import pictures

from . import inputs, tab
from .architecture_cards import architecture_card, curve_picture
from .common import grid

LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]
MAX_SEED = 2**31 - 1
MIN_TRUNCATION = 0.1
CODES = {"categorical c_cat": "category", "continuous c1": "c1", "continuous c2": "c2"}

LOSSES = {
    "cgan": r"""**Conditional GAN** (Mirza & Osindero 2014). Both players get the class $y$: G as a one-hot
vector concatenated to $z$, D as ten constant planes concatenated to the image.
$$\min_G \max_D\; \mathbb E_{x,y}[\log D(x\mid y)] + \mathbb E_{z,y}[\log(1 - D(G(z\mid y)\mid y))]$$""",
    "cgan-projection": r"""**Conditional GAN** (Mirza & Osindero 2014) with a *projection* discriminator (Miyato & Koyama
2018). G gets the class $y$ as in the paper, a one-hot vector concatenated to $z$. D reads the image alone, and $y$
enters at its end: a learned vector $V_y$ per class meets D's pooled last features $\phi(x)$,
$$\operatorname{logit} D(x\mid y) = \psi(\phi(x)) + V_y^\top \textstyle\sum_{i,j} \phi(x)_{:,i,j}$$
$$\min_G \max_D\; \mathbb E_{x,y}[\log D(x\mid y)] + \mathbb E_{z,y}[\log(1 - D(G(z\mid y)\mid y))]$$
Trained the same way on this suite's CPU (20,000 steps of 64, seed 0), D with the paper's ten label planes drew
the requested class 89.5 % of the time by the judge (worst class Shirt 65.2 %), the projection D 92.1 % (Shirt
67.4 %), at judge FID 2.70 and 2.57: one run each.""",
    "acgan": r"""**AC-GAN** (Odena et al. 2017). D never sees the label; it outputs the source $S$ and the class $C$.
$$L_S = \mathbb E[\log P(S{=}\text{real}\mid X_\text{real})] + \mathbb E[\log P(S{=}\text{fake}\mid X_\text{fake})]$$
$$L_C = \mathbb E[\log P(C{=}c\mid X_\text{real})] + \mathbb E[\log P(C{=}c\mid X_\text{fake})]$$
D maximises $L_S + L_C$, G maximises $L_C - L_S$. The shipped model gives D's class head only the real half of
$L_C$ (`--d-class-loss real`): taught on the fakes too, the head learned G's own signature for a class and
agreed with 99 % of requests that the judge named right only 86 % of the time; taught on real items alone,
it makes G draw items that a classifier of real items recognises (97.1 %).""",
    "infogan": r"""**InfoGAN** (Chen et al. 2016). No labels: G gets codes $c$ beside $z$, and must keep them
readable by $Q$, a small head on D's body. The shipped model draws $z$ with a small spread (std 0.1, ClusterGAN's
prior), so that the categorical code, not $z$, decides which kind of item comes out.
$$\min_{G,Q}\max_D\; V(D,G) - \lambda\, L_I(G,Q)$$
$$L_I = \mathbb E_{c,\,x\sim G(z,c)}[\log Q(c\mid x)] + H(c) \le I(c; G(z,c))$$""",
    "sgan": r"""**Semi-supervised GAN** (Salimans et al. 2016; Odena 2016). D is a 10-class classifier; "fake" is an
implicit 11th class: $D(x) = \frac{Z(x)}{Z(x)+1}$, $Z(x) = \sum_k e^{l_k(x)}$.
$$L_D = \underbrace{-\mathbb E_{x,y}\log p(y\mid x)}_{\text{100 labels}} \underbrace{- \mathbb E_x \log D(x) - \mathbb E_z \log(1 - D(G(z)))}_{\text{unlabelled items and fakes}}$$
$$L_G = \lVert \mathbb E_x f(x) - \mathbb E_z f(G(z)) \rVert^2 \quad\text{(feature matching on D's last hidden layer } f)$$""",
}


def _figure(metrics: dict, key: str, spec: str = ".1%") -> str:
    v = metrics.get(key)
    return "not measured yet" if v is None else format(v, spec)


def _judge_ceiling(metrics: dict, class_names) -> str:
    """What the judge gets right on *real* test items: the figure a faithful generator would reach."""
    per = metrics.get("judge_test_accuracy_per_class")
    if not per or metrics.get("judge_test_accuracy") is None:
        return ""
    worst = min(range(len(per)), key=per.__getitem__)
    return (f" For comparison, the judge names {metrics['judge_test_accuracy']:.1%} of *real* test items "
            f"correctly ({class_names[worst]} {per[worst]:.1%}): a generator that drew exactly the data "
            "would score that, not 100 %.")


TRUNCATION_TEXT = """### The truncation trick: typical items or many kinds of them
Scaling z by ψ < 1 (Brock et al. 2019, BigGAN) keeps G near the middle of its prior, where it has seen the most
z during training: items become more typical of their class, and fewer kinds of them come out. Move ψ above and
draw again. Measured on 10,000 samples per row (the same z for every ψ), with the suite's judge:

"""


def _truncation_table(figures: dict, conditional: dict) -> str:
    """Each conditional model's ``truncation_curve`` (its metrics.json) as one Markdown table."""
    rows = [(label, r) for name, label in conditional.items() for r in figures.get(name, {}).get("truncation_curve", [])]
    if not rows:
        return "*Not measured yet: `python -m gan_core.gan.evaluate cgan-fmnist --truncation 1 0.8 0.6 0.4`.*"
    head = ("| model | ψ | judge names the requested class | worst class | judge FID | diversity vs real: mean / worst |\n"
            "|---|---|---|---|---|---|\n")
    return head + "\n".join(
        f"| {label} | {r['truncation']:.2g} | {r['class_consistency']:.1%} | {r['class_consistency_min']:.1%} | "
        f"{r['judge_fid']:.1f} | {r['diversity_vs_real_mean']:.0%} / {r['diversity_vs_real_min']:.0%} |"
        for label, r in rows)


def starting_drawing() -> torch.Tensor:
    """The canvas's first picture, a trouser's outline in the 28x28 frame (uint8): two legs under a
    waistband, for a student to classify as it is or to draw over."""
    item = torch.zeros(28, 28, dtype=torch.uint8)
    item[3:8, 8:21] = 200     # waistband
    item[8:26, 8:13] = 200    # left leg
    item[8:26, 16:21] = 200   # right leg
    return item


def _curve_text(curve: dict) -> str:
    """sgan-fmnist's label curve in words: each budget's two figures, and where the unlabelled items
    stop helping (the crossover), if they do. ``curve``: budget (str, "0" = all) -> kind -> [mean, std, n]."""
    rows = sorted(((int(b) or 10 ** 9, kinds) for b, kinds in curve.items() if {"sgan", "supervised"} <= set(kinds)),
                  key=lambda r: r[0])
    if not rows:
        return "The label-budget sweep has not been run yet (`python -m gan_core.gan.sweep`)."

    def fig(v):
        return f"{v[0]:.1%}" + (f" ± {v[1]:.1%}" if v[2] > 1 else "")

    def draws(k):
        n = min(k["sgan"][2], k["supervised"][2])
        return f", {n} label draws" if n > 1 else ""
    parts = [f"{'all' if b == 10 ** 9 else b} labels: SGAN {fig(k['sgan'])}, supervised only {fig(k['supervised'])} "
             f"({(k['sgan'][0] - k['supervised'][0]) * 100:+.1f} points{draws(k)})" for b, k in rows]
    gains = [(b, k["sgan"][0] - k["supervised"][0]) for b, k in rows]
    ahead = [b for b, g in gains if g > 0]
    if len(rows) == 1:
        verdict = ""
    elif not ahead:
        verdict = " The unlabelled items never helped here."
    elif len(ahead) == len(rows):
        verdict = " SGAN is ahead at every budget measured: no crossover."
    else:
        first_behind = next(b for b, g in gains if g <= 0)
        verdict = (f" The crossover: from {'all' if first_behind == 10 ** 9 else first_behind} labels on, the same "
                   "network does better on the labels alone than with the unlabelled items and the fakes.")
    return "Test accuracy on the 10,000 test items: " + "; ".join(parts) + "." + verdict


def make_handlers(class_grid: Callable, code_traversal: Callable, own_classifier: Callable, judge: Callable,
                  class_names, conditional: dict, infogan: str | None, sgan: tuple | None) -> dict:
    """The tab's functions as plain Python. ``judge(images)`` -> probabilities ``(n, 10)``;
    ``conditional`` maps a model label to its checkpoint; ``sgan`` is (SGAN, baseline) checkpoints."""
    by_label = {label: name for name, label in conditional.items()}

    def model_of(label):
        return inputs.choice(label, "Model", by_label)

    def verdicts(name, images, classes, seeds):
        p_judge = judge(images)
        own = own_classifier(name, images) if name.startswith("acgan") else None
        head = "| requested | seed | judge says | " + ("AC-GAN's P(requested) |" if own is not None else "") + "\n"
        head += "|---|---|---|" + ("---|" if own is not None else "") + "\n"
        rows, right = [], 0
        for i, (c, s) in enumerate((c, s) for c in classes for s in seeds):
            k = int(p_judge[i].argmax())
            right += k == c
            cell = f"| {class_names[c]} | {s} | {class_names[k]} ({p_judge[i, k]:.0%}) |"
            rows.append(cell + (f" {own[i, c]:.0%} |" if own is not None else ""))
        return f"**The judge names the requested class in {right} of {len(rows)} cells.**\n\n" + head + "\n".join(rows)

    def class_dial(label, klass, seed, count, truncation=1.0):
        name = model_of(label)
        klass = inputs.integer(klass, "Class", 0, 9)
        seed = inputs.integer(seed, "Seed", 0, MAX_SEED - 64)
        count = inputs.integer(count, "Number of items", 1, 32)
        psi = inputs.number(truncation, "Truncation ψ", MIN_TRUNCATION, 1)
        seeds = list(range(seed, seed + count))
        images = class_grid(name, [klass], seeds, truncation=psi)
        return grid(images, nrow=min(8, count)), verdicts(name, images, [klass], seeds)

    def class_matrix(label, seed, count, truncation=1.0):
        name = model_of(label)
        seed = inputs.integer(seed, "Seed", 0, MAX_SEED - 16)
        count = inputs.integer(count, "Seeds (columns)", 1, 10)
        psi = inputs.number(truncation, "Truncation ψ", MIN_TRUNCATION, 1)
        seeds, classes = list(range(seed, seed + count)), list(range(10))
        images = class_grid(name, classes, seeds, truncation=psi)
        return grid(images, nrow=count), verdicts(name, images, classes, seeds)

    def traverse(code, category, c1, c2, seed, rows):
        if infogan is None:
            raise gr.Error("The InfoGAN checkpoint is missing: train it with `python -m gan_core.train infogan`.")
        code = inputs.choice(code, "Code", CODES)
        category = inputs.integer(category, "Categorical code", 0, 9)
        c1, c2 = inputs.number(c1, "Code c1", -1, 1), inputs.number(c2, "Code c2", -1, 1)
        seed = inputs.integer(seed, "Seed", 0, MAX_SEED - 16)
        rows = inputs.integer(rows, "Seeds (rows)", 1, 8)
        values = list(range(10)) if code == "category" else torch.linspace(-2, 2, 9).tolist()
        images = code_traversal(infogan, code, values, range(seed, seed + rows), category=category, continuous=(c1, c2))
        what = "c_cat = 0 … 9" if code == "category" else f"{code} from -2 to 2 (trained on [-1, 1])"
        return grid(images, nrow=len(values)), f"Columns: {what}; rows: seeds {seed} … {seed + rows - 1}."

    def classify(item):
        out = [own_classifier(name, item)[0] for name in sgan]
        as_label = [{class_names[k]: float(p[k]) for k in range(10)} for p in out]
        return pictures.to_pil(item, 6), *as_label

    def require_sgan():
        if sgan is None:
            raise gr.Error("The SGAN checkpoints are missing: run `python -m gan_core.gan.sweep`.")

    def classify_upload(upload):
        require_sgan()
        picture = inputs.picture(upload, "picture", max_pixels=4096 * 4096)
        try:
            item = torch.from_numpy(pictures.item_28(picture.image, background=0)).view(1, 1, 28, 28)
        except pictures.PictureError as err:
            raise gr.Error(str(err)) from None
        return classify(item)

    def classify_drawing(drawing):
        require_sgan()
        return classify(inputs.item_from_picture(drawing))

    return {"class_dial": class_dial, "class_matrix": class_matrix, "traverse": traverse,
            "classify_upload": classify_upload, "classify_drawing": classify_drawing}


def create_demo(class_grid: Callable, code_traversal: Callable, own_classifier: Callable, judge: Callable, *,
                class_names, conditional: dict, infogan: str | None = None, sgan: tuple | None = None,
                figures: dict | None = None, cgan_projection: bool = False) -> gr.Blocks:
    """``conditional``: checkpoint -> label of the class-conditional models (cGAN, AC-GAN);
    ``figures``: checkpoint -> its evaluation figures (metrics.json); ``cgan_projection``: the cGAN's D
    takes the label by projection (its card and loss say so)."""
    figures = figures or {}
    h = make_handlers(class_grid, code_traversal, own_classifier, judge, class_names, conditional, infogan, sgan)
    labels = list(conditional.values())
    with tab.blocks() as demo:
        gr.Markdown("Four ways to give a GAN more than noise. Each card shows where the label or code enters "
                    "G and D and what D outputs; beside it, the loss it is trained with.")
        for kind in ("cgan-projection" if cgan_projection else "cgan", "acgan", "infogan", "sgan"):
            with gr.Row():
                gr.Image(architecture_card(kind), label=f"{kind} architecture", format="png", interactive=False,
                         scale=2, buttons=[])
                with gr.Column(scale=3):
                    gr.Markdown(LOSSES[kind], latex_delimiters=LATEX)

        gr.Markdown("## Class dial: the label sets the class, z sets the style")
        with gr.Row():
            model = gr.Radio(labels, value=labels[0] if labels else None, label="Model")
            klass = gr.Slider(0, 9, value=7, step=1, label="Class (0-9: " + ", ".join(class_names) + ")")
            seed = gr.Number(0, precision=0, label="Seed")
            count = gr.Slider(1, 32, value=8, step=1, label="Number of items")
            psi = gr.Slider(MIN_TRUNCATION, 1, value=1, step=0.05, label="Truncation ψ (z scaled by ψ; 1 = as trained)",
                            elem_id="arch-psi")
        go = gr.Button("Draw this class")
        dial_grid = gr.Image(label="Items of the chosen class", format="png", interactive=False, elem_id="arch-dial")
        dial_table = gr.Markdown()
        go.click(h["class_dial"], [model, klass, seed, count, psi], [dial_grid, dial_table], api_name="arch_class_dial")
        with gr.Row():
            mseed = gr.Number(0, precision=0, label="First seed")
            mcount = gr.Slider(1, 10, value=6, step=1, label="Seeds (columns)")
        mgo = gr.Button("Class x seed matrix")
        matrix = gr.Image(label="Rows: classes 0-9; columns: the same z in every row", format="png",
                          interactive=False, elem_id="arch-matrix")
        matrix_table = gr.Markdown()
        mgo.click(h["class_matrix"], [model, mseed, mcount, psi], [matrix, matrix_table], api_name="arch_class_matrix")
        for name, label in conditional.items():
            m = figures.get(name, {})
            gr.Markdown(f"*{label}*: the judge names the requested class in {_figure(m, 'class_consistency')} of "
                        f"10,000 samples (worst class {_figure(m, 'class_consistency_min')}); judge FID "
                        f"{_figure(m, 'judge_fid', '.1f')}; diversity within a class "
                        f"{_figure(m, 'diversity_vs_real_mean', '.0%')} of real items'."
                        + _judge_ceiling(m, class_names))
        gr.Markdown(TRUNCATION_TEXT + _truncation_table(figures, conditional))

        gr.Markdown("## InfoGAN: codes found without labels")
        m = figures.get(infogan, {}) if infogan else {}
        gr.Markdown(f"Reading c_cat with Q as a clustering of the 10,000 test items: "
                    f"**{_figure(m, 'clustering_accuracy_test')}** correct under the best one-to-one matching. "
                    f"c1 controls *{m.get('c1_controls', '?')}* (ρ = {_figure(m, 'c1_spearman', '.2f')}), "
                    f"c2 controls *{m.get('c2_controls', '?')}* (ρ = {_figure(m, 'c2_spearman', '.2f')}).")
        with gr.Row():
            code = gr.Radio(list(CODES), value="continuous c1", label="Traverse")
            cat = gr.Slider(0, 9, value=0, step=1, label="Categorical code c_cat", elem_id="arch-cat")
            c1 = gr.Slider(-1, 1, value=0, step=0.1, label="c1", elem_id="arch-c1")
            c2 = gr.Slider(-1, 1, value=0, step=0.1, label="c2", elem_id="arch-c2")
            iseed = gr.Number(0, precision=0, label="First seed")
            irows = gr.Slider(1, 8, value=4, step=1, label="Seeds (rows)")
        traversal = gr.Image(label="Traversal", format="png", interactive=False, elem_id="arch-traversal")
        caption = gr.Markdown()
        controls = [code, cat, c1, c2, iseed, irows]
        gr.Button("Traverse").click(h["traverse"], controls, [traversal, caption], api_name="arch_traverse")
        for c, key in ((code, "code"), (cat, "cat"), (c1, "c1"), (c2, "c2")):  # live: a moved control redraws
            c.change(h["traverse"], controls, [traversal, caption], api_name=f"arch_traverse_{key}",
                  api_visibility="undocumented")

        gr.Markdown("## Semi-supervised GAN: how far do 100 labels go?")
        curve = figures.get(sgan[0], {}).get("label_curve", {}) if sgan else {}
        gr.Markdown(_curve_text(curve))
        gr.Image(curve_picture(curve), label="Test accuracy vs labels: SGAN and the same network on the labels "
                                             "alone (mean ± std over label draws)", format="png", interactive=False)
        gr.Markdown("Upload or paste a picture of one item (it is cropped to the item and scaled to fill the frame), "
                    "or draw one in white on the black canvas (the 28×28 frame, enlarged): a trouser, a bag, a shoe.")
        with gr.Row():
            with gr.Column():
                upload = inputs.picture_input(label="Upload or paste an item", elem_id="arch-upload")
                ask = gr.Button("Classify the upload")
            with gr.Column():
                drawing = inputs.item_editor(inputs.canvas_value(starting_drawing()), label="…or draw an item",
                                             elem_id="arch-drawing")
                ask_drawn = gr.Button("Classify the drawing")
            seen = gr.Image(label="What the classifiers see (28x28)", format="png", interactive=False)
        with gr.Row():
            p_sgan = gr.Label(num_top_classes=3, label="SGAN (100 labels + unlabelled items)", elem_id="arch-p-sgan")
            p_base = gr.Label(num_top_classes=3, label="Supervised only (the same 100 labels)", elem_id="arch-p-base")
        ask.click(h["classify_upload"], upload, [seen, p_sgan, p_base], api_name="arch_sgan_classify")
        ask_drawn.click(h["classify_drawing"], drawing, [seen, p_sgan, p_base], api_name="arch_sgan_classify_drawing")
    return demo



if __name__ == "__main__":
    import gan_core
    from gan_core import checkpoints
    arch = {role: name for role, (name, _) in gan_core.ARCHITECTURES.items()}
    inputs.harden(create_demo(
        gan_core.class_grid, gan_core.code_traversal, gan_core.classifier_probabilities, gan_core.judge_probabilities,
        class_names=gan_core.FMNIST_CLASSES, conditional={arch[r]: gan_core.ARCHITECTURES[r][1] for r in ("cgan", "acgan")},
        infogan=arch["infogan"], sgan=(arch["sgan"], arch["supervised"]),
        figures={n: checkpoints.read_json(n, "metrics.json") for n in arch.values()},
        cgan_projection=checkpoints.read_json(arch["cgan"], "config.json").get("projection", False))).launch()
