"""Tab "GAN training lab": train a GAN on 2-D data live, one step at a time or streaming.

Everything the tab computes comes from ``gan_core.lab`` (see its docstrings for the papers);
``make_handlers`` returns the tab's functions as plain Python, so tests call them without a browser.
Run alone: ``python -m apps.training_lab``.
"""
from __future__ import annotations

import dataclasses
import math

import gradio as gr
import numpy as np
from PIL import Image, ImageDraw

from gan_core.lab import data, losses, render
from gan_core.lab.sessions import AB, DECAY, HIST_AVG, SMOOTH, LabSession, LiveLabs, sync
from gan_core.lab.train import EMA_BETA, PRESET_ITERATIONS, R1_GAMMA
from gan_core.lab.train import PRESETS as LAB_PRESETS
from gan_core.lab.train import LabConfig

from . import inputs, tab

MAX_LIVE = 4            # labs training at once on the whole server (2 CPU cores)
MAX_STEPS = PRESET_ITERATIONS  # iterations one press of play runs at most: the presets' budget
MAX_SEED = 2**31 - 1
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]
DATASET_CHOICES = [("Ring of 8 Gaussians", "ring8"), ("Grid of 25 Gaussians", "grid25"), ("Line", "line"),
                   ("Three regions", "regions"), ("Draw your own", "drawn")]
# the controls every training handler reads, in this order
NAMES = ("dataset", "points", "noise_dim", "noise", "g_layers", "g_units", "d_layers", "d_units", "loss",
         "d_opt", "g_opt", "d_lr", "g_lr", "k", "batch", "seed", "feature_matching", "minibatch", "hist_avg",
         "label_smooth", "vbn", "pack", "unroll", "lr_decay", "g_ema", "r1", "ab", "every")
DEFAULTS = dict(dataset="ring8", points="", noise_dim=2, noise="gaussian", g_layers=1, g_units=16, d_layers=2,
                d_units=64, loss="nonsaturating", d_opt="adam", g_opt="adam", d_lr=1e-3, g_lr=1e-3, k=1,
                batch=256, seed=0, feature_matching=False, minibatch=False, hist_avg=False, label_smooth=False,
                vbn=False, pack=1, unroll=0, lr_decay=False, g_ema=False, r1=False, ab="off", every=25)
SWITCH_FIELDS = ("feature_matching", "minibatch", "hist_avg", "label_smooth", "vbn", "lr_decay", "g_ema", "r1")  # boxes
PRESETS = {name: {**DEFAULTS, **{f.name: bool(getattr(c, f.name)) if f.name in SWITCH_FIELDS else getattr(c, f.name)
                                 for f in dataclasses.fields(c) if f.name in DEFAULTS and f.name not in ("dataset", "points")}}
           for name, c in LAB_PRESETS.items()}

ALGORITHM = r"""
**The algorithm** (Goodfellow et al., 2014, Algorithm 1). Repeat: **(1)** fix $G$ and take $k$ steps on
$D$ so that it tells real points (green) from generated ones (purple); **(2)** fix $D$ and take one step on
$G$ so that its samples move where $D$ says "real". The background is $D(x)$: green where $D$ believes
"real", purple where it believes "fake". Orange arrows show where $G$'s loss pushes each sample; the grey
mesh is where a grid of noise vectors $z$ lands (the generator's manifold). Circles mark 3σ around
each mode: a sample inside one is **high quality**; a mode is **covered** if at least one of 2500
samples is a high-quality sample of it (VEEGAN / PacGAN). Reverse KL is $KL(p_G\Vert p_\text{data})$ on
a 50×50 grid. Data: ring of 8 Gaussians (radius 2, σ = 0.02) and 5×5 grid of 25 (spacing 2 at
{-4, -2, 0, 2, 4}, σ = 0.05), as in VEEGAN and PacGAN; a drawn point is a Gaussian of σ = 0.1.
"""
TECHNIQUES = """
**Improved techniques** (Salimans et al., 2016, arXiv:1606.03498) and two later fixes for mode collapse:
- *Feature matching* (§3.1): $G$ matches the mean of $D$'s last hidden layer on real data instead of fooling $D$.
- *Minibatch discrimination* (§3.2): $D$ sees how close each sample is to the rest of its batch, so a
  collapsed batch is easy to spot. Try it on the ring when vanilla collapses.
- *Historical averaging* (§3.3): each player pays $\\lVert\\theta - \\tfrac1t\\sum_i\\theta_i\\rVert^2$ (weight 10⁻³), damping cycles.
- *One-sided label smoothing* (§3.4): $D$'s target for real points is 0.9, fakes keep 0.
- *Virtual batch norm* (§3.5): $G$'s layers are normalised with a fixed reference batch.
- *Packing* (PacGAN, Lin et al., 2018): $D$ judges $m$ samples at once, which penalises collapse.
- *Unrolled D* (Metz et al., 2017): $G$ differentiates through $n$ look-ahead steps of $D$.
- *Learning-rate decay* (Robbins & Monro, 1951): steps of size lr/(1 + t/1000) let the samples settle
  onto the modes instead of jittering around them.
- *Average of G's weights* (Yazıcı et al., 2019, arXiv:1806.04498): the lab keeps
  $\\bar\\theta_G \\leftarrow \\beta\\bar\\theta_G + (1-\\beta)\\theta_G$ after every G step, β = 0.999, in every run. It
  never feeds back into the game; with the box ticked the figure and the measures show the averaged
  generator, whose samples no longer jitter with each step of the game.
- *R1 penalty* (Mescheder et al., 2018, arXiv:1801.04406): $D$ also pays $\\tfrac\\gamma2\\,\\mathbb E_x\\lVert\\nabla_x D(x)\\rVert^2$
  on real points (γ = 1), so it stays flat where the data are and the game settles instead of circling.

**What to try.** Preset *vanilla* on the ring: watch the purple points jump from mode to mode (collapse,
cycling). Switch A/B to "minibatch discrimination" and press play: both runs start from the same weights
and see the same data. Pick the *minimax* loss with SGD and see $G$'s gradient vanish once $D$ wins.
Preset *improved* gives $G$ the size of $D$ (2 × 64) and shows the average of $G$'s weights: after one
press of play (20 000 iterations) it holds all 8 ring modes with about 98 % of its samples inside the
circles, but on the grid it is still settling (about 21 of 25 modes, 68 % inside). Preset *wide* gives both
players 3 × 128 units, lets $D$ learn at half $G$'s rate, smooths $D$'s real label to 0.9, adds the R1 penalty
and shows the average of $G$: on the grid about 24.8 of 25 modes with 92 % inside, on the ring all 8 with
95 % (5 seeds each, BENCHMARKS.md); it trains about three times more slowly than *improved*. Try *wide* with
A/B on "R1 penalty" to see B without it drop modes. With A/B on "average of G's weights", A and B are the
same training: compare how sharp each looks.
"""


_number, _choice, _short = inputs.number, inputs.choice, inputs.shown  # the suite's input layer


def parse_points(text) -> tuple:
    """"x, y" per line -> ((x, y), ...) inside the drawing square, or a gr.Error."""
    if not isinstance(text, str):
        raise gr.Error(f"Points must be text, one 'x, y' per line; got {_short(text)}.")
    points = []
    for line in text.strip().splitlines():
        parts = line.replace(";", ",").split(",")
        if len(parts) != 2:
            raise gr.Error(f"Each point is one line 'x, y'; got {_short(line)}.")
        points.append((_number(parts[0], "x", -3, 3), _number(parts[1], "y", -3, 3)))
    if len(points) > data.MAX_DRAWN:
        raise gr.Error(f"Draw at most {data.MAX_DRAWN} points (got {len(points)}).")
    return tuple(points)


def parse(values) -> tuple[LabConfig, str, int]:
    """The controls' values (in ``NAMES`` order) -> (A's config, the A/B switch, iterations per frame)."""
    if len(values) != len(NAMES):
        raise gr.Error(f"Expected {len(NAMES)} settings, got {len(values)}.")
    v = dict(zip(NAMES, values))
    dataset = _choice(v["dataset"], "Data", [d for _, d in DATASET_CHOICES])
    points = parse_points(v["points"]) if dataset == "drawn" else ()
    if dataset == "drawn" and not points:
        raise gr.Error("Draw your own: click the canvas to add at least one point first.")
    config = LabConfig(
        dataset=dataset, points=points, noise_dim=_number(v["noise_dim"], "Noise dimension", 1, 2, whole=True),
        noise=_choice(v["noise"], "Noise", ["gaussian", "uniform"]),
        g_layers=_number(v["g_layers"], "G hidden layers", 0, 5, whole=True),
        g_units=_number(v["g_units"], "G units", 1, 128, whole=True),
        d_layers=_number(v["d_layers"], "D hidden layers", 0, 5, whole=True),
        d_units=_number(v["d_units"], "D units", 1, 128, whole=True),
        loss=_choice(v["loss"], "Loss", losses.LOSSES),
        d_opt=_choice(v["d_opt"], "D optimiser", ["adam", "sgd"]),
        g_opt=_choice(v["g_opt"], "G optimiser", ["adam", "sgd"]),
        d_lr=_number(v["d_lr"], "D learning rate", 1e-6, 1.0), g_lr=_number(v["g_lr"], "G learning rate", 1e-6, 1.0),
        k=_number(v["k"], "D steps per G step", 1, 10, whole=True), batch=_number(v["batch"], "Batch", 16, 1024, whole=True),
        seed=_number(v["seed"], "Seed", 0, MAX_SEED, whole=True),
        feature_matching=bool(v["feature_matching"]), minibatch=bool(v["minibatch"]),
        hist_avg=HIST_AVG if v["hist_avg"] else 0.0, label_smooth=SMOOTH if v["label_smooth"] else 0.0,
        vbn=bool(v["vbn"]), pack=_number(v["pack"], "Packing", 1, 4, whole=True),
        unroll=_number(v["unroll"], "Unrolled D steps", 0, 10, whole=True), lr_decay=DECAY if v["lr_decay"] else 0.0,
        g_ema=bool(v["g_ema"]), r1=R1_GAMMA if v["r1"] else 0.0)
    if config.batch % config.pack:
        raise gr.Error(f"Batch ({config.batch}) must be a multiple of the packing ({config.pack}).")
    return config, _choice(v["ab"], "A/B", list(AB)), _number(v["every"], "Iterations per frame", 20, 50, whole=True)


def figure(session: LabSession) -> Image.Image:
    panels = []
    for lab, title in zip(session.labs(), ("A", f"B: A with {session.ab}")):
        with lab.lock:
            snap = render.snapshot(lab)
        panels.append(render.frame(snap, title if session.b is not None else ""))
    return render.side_by_side(panels)


def status(session: LabSession, note: str = "") -> str:
    a = session.a
    last = a.history[-1] if a.history else {}
    text = f"Iteration {a.g_steps} (D steps {a.d_steps})."
    if last:
        text += f" loss D {last['loss_d']:.3f}, loss G {last['loss_g']:.3f}, D(x) {last['d_real']:.3f}, " \
                f"D(G(z)) {last['d_fake']:.3f}."
    return f"{text} {note}".strip()


def canvas(points_text: str = "") -> Image.Image:
    """The "draw your own" square [-3, 3]²: axes every unit and the points so far."""
    img = Image.new("RGB", (render.SIZE, render.SIZE), (250, 250, 250))
    draw = ImageDraw.Draw(img)
    for u in range(-3, 4):
        p = (u + 3) / 6 * render.SIZE
        draw.line((p, 0, p, render.SIZE), fill=(225, 225, 225) if u else (180, 180, 180))
        draw.line((0, p, render.SIZE, p), fill=(225, 225, 225) if u else (180, 180, 180))
    try:
        pts = np.array(parse_points(points_text or "")).reshape(-1, 2)
    except gr.Error:
        pts = np.zeros((0, 2))
    for cx, cy in render._to_px(pts, 3.0):
        draw.ellipse((cx - 4, cy - 4, cx + 4, cy + 4), fill=tuple(render.REAL))
    return img


def make_handlers(max_live: int = MAX_LIVE, max_steps: int = MAX_STEPS, live: LiveLabs | None = None) -> dict:
    """The tab's functions; ``live`` is the server-wide registry of training labs (one per server)."""
    live = live or LiveLabs(max_live)

    def play(session, *values):
        """Stream frames while training; ends on pause, a new play, the step cap or a disconnect."""
        config, ab, every = parse(values)
        session = sync(session, config, ab)
        session.run_id += 1
        my_run, slot = session.run_id, f"{session.key}:{session.run_id}"
        if not live.acquire(slot):
            raise gr.Error(f"{live.cap} labs are training on this server right now, the most it allows. "
                           "Try again in a minute, or use the step buttons.")
        try:
            yield session, figure(session), status(session, "Training...")  # the first frame at once
            done = 0
            while session.run_id == my_run and done < max_steps:
                for lab in session.labs():
                    record = lab.run(every)
                done += every
                live.heartbeat(slot)
                if not all(math.isfinite(v) for v in record.values()):
                    yield session, figure(session), status(session, "Stopped: the losses became NaN or "
                                                          "infinite (try a smaller learning rate), then reset.")
                    return
                note = "Training..." if done < max_steps else \
                    f"Paused after {max_steps} iterations, the most one press of play runs. Press play to go on."
                yield session, figure(session), status(session, note)
            if session.paused == my_run:  # the last word on the page: this stream was paused
                yield session, figure(session), status(session, "Paused.")
        finally:
            live.release(slot)

    def pause(session):
        if session is not None:
            session.paused, session.run_id = session.run_id, session.run_id + 1
        return session, "Paused." if session is not None else "Nothing to pause yet."

    def stepper(kind: str):
        def step(session, *values):
            config, ab, _ = parse(values)
            session = sync(session, config, ab)
            session.run_id += 1  # a single step pauses a running stream first
            for lab in session.labs():
                with lab.lock:
                    {"d": lab.d_step, "g": lab.g_step, "iteration": lab.iteration}[kind]()
            return session, figure(session), status(session, f"One {kind.replace('d', 'D-').replace('g', 'G-')}"
                                                   .replace("iteration", "full iteration") + " step done.")
        return step

    def reset(session, *values):
        """New random weights: the next seed (a different run)."""
        values = list(values)
        values[NAMES.index("seed")] = (_number(values[NAMES.index("seed")], "Seed", 0, MAX_SEED, whole=True) + 1) % MAX_SEED
        return restart(None if session is None else session, *values) + (values[NAMES.index("seed")],)

    def restart(session, *values):
        """The same seed again: the same initial weights and the same data stream, from iteration 0."""
        config, ab, _ = parse(values)
        fresh = sync(None, config, ab)
        if session is not None:
            fresh.key, fresh.run_id = session.key, session.run_id + 1
        return fresh, figure(fresh), status(fresh, f"Restarted from seed {config.seed}.")

    def add_point(points_text, evt: gr.SelectData):
        if evt is None or not isinstance(getattr(evt, "index", None), (list, tuple)) or len(evt.index) != 2:
            raise gr.Error("Click a point on the canvas to add it.")
        px, py = _number(evt.index[0], "x pixel", 0, render.SIZE), _number(evt.index[1], "y pixel", 0, render.SIZE)
        x, y = render.from_px(px, py, 3.0)
        text = (str(points_text or "").rstrip() + f"\n{x:.2f}, {y:.2f}").strip()
        parse_points(text)
        return text, canvas(text)

    def show_points(points_text):
        parse_points(points_text or "")
        return canvas(points_text)

    def equation(loss):
        return EQUATIONS_MD[_choice(loss, "Loss", losses.LOSSES)]

    def preset(name):
        p = PRESETS[_choice(name, "Preset", list(PRESETS))]
        return [p[n] for n in NAMES if n not in ("dataset", "points", "seed")]

    return {"play": play, "pause": pause, "step_d": stepper("d"), "step_g": stepper("g"),
            "step_iteration": stepper("iteration"), "reset": reset, "restart": restart, "add_point": add_point,
            "show_points": show_points, "equation": equation, "preset": preset, "live": live}


EQUATIONS_MD = {name: f"**Loss in use ({name.replace('_', ' ')}):**\n\n{eq}" for name, eq in losses.EQUATIONS.items()}


def _forget(session) -> None:
    """Called when Gradio drops a session's state: any stream of it stops at its next frame."""
    if session is not None:
        session.run_id += 1


def create_demo(max_live: int = MAX_LIVE, max_steps: int = MAX_STEPS, live: LiveLabs | None = None) -> gr.Blocks:
    """The tab, built inside the caller's context; ``live`` may be shared to watch the training labs."""
    h = make_handlers(max_live, max_steps, live)
    d = DEFAULTS
    with tab.blocks() as demo:
        with gr.Accordion("How the lab works: the algorithm, the picture, the measures", open=True):
            gr.Markdown(ALGORITHM, latex_delimiters=LATEX)
        loss_md = gr.Markdown(EQUATIONS_MD[d["loss"]], latex_delimiters=LATEX)
        state = gr.State(None, time_to_live=3600, delete_callback=_forget)
        with gr.Row():
            with gr.Column(scale=2):
                with gr.Row():
                    preset_name = gr.Dropdown(list(PRESETS), value="vanilla", label="Preset", scale=2)
                    load = gr.Button("Load preset", scale=1)
                dataset = gr.Radio(DATASET_CHOICES, value=d["dataset"], label="Data")
                with gr.Accordion("Draw your own data (choose 'Draw your own' above)", open=False):
                    gr.Markdown("Click the square [-3, 3]² to add points; each becomes a Gaussian of σ = 0.1.")
                    draw = gr.Image(canvas(""), type="pil", interactive=False, label="Click to add points",
                                    elem_id="lab-canvas")
                    points = gr.Textbox("", lines=3, label="Points, one 'x, y' per line (editable)")
                    clear = gr.Button("Clear points")
                with gr.Accordion("Networks: small MLPs", open=False):
                    noise_dim = gr.Radio([1, 2], value=d["noise_dim"], label="Noise dimension")
                    noise = gr.Radio(["gaussian", "uniform"], value=d["noise"], label="Noise distribution")
                    g_layers = gr.Slider(0, 5, d["g_layers"], step=1, label="G hidden layers")
                    g_units = gr.Slider(1, 128, d["g_units"], step=1, label="G units per layer")
                    d_layers = gr.Slider(0, 5, d["d_layers"], step=1, label="D hidden layers")
                    d_units = gr.Slider(1, 128, d["d_units"], step=1, label="D units per layer")
                with gr.Accordion("Training: loss, optimisers, k", open=True):
                    loss = gr.Dropdown(list(losses.LOSSES), value=d["loss"], label="Loss")
                    with gr.Row():
                        d_opt = gr.Radio(["adam", "sgd"], value=d["d_opt"], label="D optimiser")
                        g_opt = gr.Radio(["adam", "sgd"], value=d["g_opt"], label="G optimiser")
                    with gr.Row():
                        d_lr = gr.Number(d["d_lr"], label="D learning rate", minimum=1e-6, maximum=1.0)
                        g_lr = gr.Number(d["g_lr"], label="G learning rate", minimum=1e-6, maximum=1.0)
                    k = gr.Slider(1, 10, d["k"], step=1, label="k: D steps per G step")
                    batch = gr.Slider(16, 1024, d["batch"], step=16, label="Batch size")
                    seed = gr.Number(d["seed"], precision=0, label="Seed (weights and data stream)",
                                     minimum=0, maximum=MAX_SEED)
                    every = gr.Slider(20, 50, d["every"], step=1, label="Iterations per frame")
                with gr.Accordion("Improved techniques, packing, unrolling", open=True):
                    gr.Markdown(TECHNIQUES, latex_delimiters=LATEX)
                    with gr.Row():
                        fm = gr.Checkbox(d["feature_matching"], label="Feature matching")
                        mbd = gr.Checkbox(d["minibatch"], label="Minibatch discrimination")
                        ha = gr.Checkbox(d["hist_avg"], label="Historical averaging")
                        ls = gr.Checkbox(d["label_smooth"], label="One-sided label smoothing")
                        vbn = gr.Checkbox(d["vbn"], label="Virtual batch norm (G)")
                    pack = gr.Slider(1, 4, d["pack"], step=1, label="Packing m (PacGAN; 1 = off)")
                    unroll = gr.Slider(0, 10, d["unroll"], step=1, label="Unrolled D steps (0 = off)")
                    decay = gr.Checkbox(d["lr_decay"], label="Learning-rate decay: lr / (1 + t/1000)")
                    g_ema = gr.Checkbox(d["g_ema"], label=f"Show the average of G's weights (EMA, β = {EMA_BETA})")
                    r1 = gr.Checkbox(d["r1"], label=f"R1 penalty on real points (γ = {R1_GAMMA:g})")
                ab = gr.Dropdown(list(AB), value=d["ab"], label="A/B: run B = A with this one switch changed "
                                                              "(same initial weights, same data)")
            with gr.Column(scale=3):
                with gr.Row():
                    play = gr.Button("Play", variant="primary", elem_id="lab-play")
                    pause = gr.Button("Pause", elem_id="lab-pause")
                    step_d = gr.Button("D step")
                    step_g = gr.Button("G step")
                    step_it = gr.Button("Full iteration")
                    restart = gr.Button("Restart (same seed)")
                    reset = gr.Button("Reset (new seed)")
                fig = gr.Image(type="pil", format="png", label="The game, live", elem_id="lab-figure",
                               interactive=False)
                info = gr.Markdown(elem_id="lab-status")
        controls = [dataset, points, noise_dim, noise, g_layers, g_units, d_layers, d_units, loss, d_opt, g_opt,
                    d_lr, g_lr, k, batch, seed, fm, mbd, ha, ls, vbn, pack, unroll, decay, g_ema, r1, ab, every]
        ins, outs = [state, *controls], [state, fig, info]
        play.click(h["play"], ins, outs, api_name="lab_play", concurrency_limit=h["live"].cap + 2)
        pause.click(h["pause"], state, [state, info], api_name="lab_pause", concurrency_limit=None)
        for button, name in ((step_d, "step_d"), (step_g, "step_g"), (step_it, "step_iteration")):
            button.click(h[name], ins, outs, api_name=f"lab_{name}", concurrency_limit=None)
        restart.click(h["restart"], ins, outs, api_name="lab_restart", concurrency_limit=None)
        reset.click(h["reset"], ins, [*outs, seed], api_name="lab_reset", concurrency_limit=None)
        # a click carries event data only a browser sends: API users type points (show_points) instead
        draw.select(h["add_point"], points, [points, draw], api_name="lab_add_point", api_visibility="private")
        points.submit(h["show_points"], points, draw, api_name="lab_show_points")
        clear.click(lambda: ("", canvas("")), None, [points, draw], api_name="lab_clear_points")
        loss.change(h["equation"], loss, loss_md, api_name="lab_equation")
        load.click(h["preset"], preset_name, [c for c, n in zip(controls, NAMES) if n not in
                                              ("dataset", "points", "seed")], api_name="lab_preset")
        demo.load(h["restart"], ins, outs, api_name="lab_initial_frame", api_visibility="undocumented")
    return demo


if __name__ == "__main__":
    inputs.harden(create_demo()).queue().launch()
