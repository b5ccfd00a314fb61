"""The gallery's live cases on 2-D data, run on the training lab's ``Lab`` (gan_core.lab) in seconds.

* ``strong_d``  D too strong (5 D steps per G step at 3x G's rate, a wider D): at every G step both
  generator losses are differentiated on the same batch through the same D, so the only difference
  is the loss. The saturating log(1 - D(G(z))) has gradient D(G(z)) * dlogit/dtheta, which vanishes
  as D wins; the non-saturating -log D(G(z)) has (1 - D(G(z))) * dlogit/dtheta, which does not
  (Goodfellow et al. 2014, Sec. 3).
* ``weak_d``    D too weak (learning rate 1e-5): D(x) and D(G(z)) both stay near 1/2, so G gets no
  direction and its samples stay where they started, against a balanced run with the same seed.
* ``cycling``   a G too simple for the ring chased around it by D: G is an affine map of 2-D noise (no
  hidden layer), so it can only draw one Gaussian blob and never eight modes; plain SGD, D at twice G's
  rate. Wherever the blob settles, D learns that the samples there are fake and pushes it off, and it
  slides to another mode: the share of samples nearest each mode, every few iterations, shows one mode
  held by most samples, then another (mode hopping); the frames make the animation.
* ``dirac``     the Dirac GAN (Mescheder et al. 2018, https://arxiv.org/abs/1801.04406, Sec. 2.2): data
  at 0, G a single point theta, D(x) = sigmoid(psi * x). The only equilibrium is (0, 0); simultaneous
  gradient steps spiral away from it, alternating steps circle around it for ever. Oscillation in
  its smallest form, exact and instant.

Each is a generator yielding progress (``{"done": i, "of": n}``) and, last, its result, so a tab can
show progress; ``run(case, ...)`` drains one and returns the result.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch

from ..lab import losses as lab_losses
from ..lab import metrics, render
from ..lab.train import Lab, LabConfig, one_thread

STRONG_D = LabConfig(dataset="ring8", loss="minimax", k=5, d_lr=3e-3, g_lr=1e-3, d_layers=3, d_units=128,
                     g_layers=2, g_units=32)
WEAK_D = LabConfig(dataset="ring8", d_lr=1e-5, g_lr=1e-3, g_layers=2, g_units=32)
BALANCED = dataclasses.replace(WEAK_D, d_lr=1e-3)
# G with no hidden layer (one Gaussian blob), SGD: the setting in which G hops from mode to mode within
# seconds (BENCHMARKS.md, "Failure gallery"; the lab's presets settle or drift instead)
CYCLING = LabConfig(dataset="ring8", g_layers=0, noise_dim=2, d_layers=2, d_units=64, d_opt="sgd", g_opt="sgd",
                    d_lr=0.1, g_lr=0.05, batch=64)
HOLD = 0.6        # a mode is "held" in a frame when more than this share of the samples lies nearest to it
EVAL_N = 1000     # samples the mode measures use in a live case (the lab's 2500 cost too long per frame)


def g_gradient_norms(lab: Lab, n: int = 256, seed: int = 7) -> dict:
    """‖∇_θG‖ of the saturating (minimax) and the non-saturating loss for one fixed batch through the
    same D, and D's accuracy on real vs generated points (threshold 1/2)."""
    gen = torch.Generator().manual_seed(seed)
    fake = lab.G(lab.noise(n, gen))                                           # (n, 2), keeps G's graph
    out = lab.D(fake)
    params = list(lab.G.parameters())
    norms = {}
    for name in ("minimax", "nonsaturating"):
        grads = torch.autograd.grad(lab_losses.g_loss(name, out), params, retain_graph=True)
        norms[name] = float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads])))
    with torch.no_grad():
        real_out, out = lab.D(lab.data.sample(n, gen)), out.detach()
        acc = 0.5 * ((torch.sigmoid(real_out) > 0.5).float().mean() + (torch.sigmoid(out) < 0.5).float().mean())
    return {"grad_saturating": norms["minimax"], "grad_nonsaturating": norms["nonsaturating"],
            "d_accuracy": float(acc), "d_fake": float(torch.sigmoid(out).mean())}


def strong_d(iterations: int = 120, every: int = 5, seed: int = 0):
    """D too strong; yields progress, then {"records": [...], "frame": PIL image}."""
    lab = Lab(dataclasses.replace(STRONG_D, seed=seed))
    records = []
    with one_thread():
        for i in range(iterations + 1):
            if i % every == 0:
                records.append({"iteration": i, **g_gradient_norms(lab)})
                yield {"done": i, "of": iterations}
            if i < iterations:
                lab.iteration()
    yield {"records": records, "frame": render.frame(render.snapshot(lab), "D too strong: k = 5, D lr 3e-3")}


def _summary(lab: Lab) -> dict:
    pts = lab.samples(EVAL_N).numpy()
    m = metrics.evaluate(pts, lab.data)
    last = lab.history[-1] if lab.history else {}
    return {"d_real": last.get("d_real", float("nan")), "d_fake": last.get("d_fake", float("nan")),
            "modes": int(m.get("modes", 0)), "n_modes": int(m.get("n_modes", 0)), "hq": float(m.get("hq", 0.0)),
            "reverse_kl": float(m["reverse_kl"])}


def weak_d(iterations: int = 300, seed: int = 0):
    """D too weak beside a balanced twin (same seed, D's rate 1e-3); yields progress, then
    {"weak": summary, "balanced": summary, "frame": the two labs side by side}."""
    weak = Lab(dataclasses.replace(WEAK_D, seed=seed))
    balanced = Lab(dataclasses.replace(BALANCED, seed=seed))
    step = max(iterations // 10, 1)
    with one_thread():
        for i in range(0, iterations, step):
            for lab in (weak, balanced):
                for _ in range(min(step, iterations - i)):
                    lab.iteration()
            yield {"done": min(i + step, iterations), "of": iterations}
    panels = [render.frame(render.snapshot(weak), "D too weak: D lr 1e-5"),
              render.frame(render.snapshot(balanced), "balanced: D lr 1e-3")]
    yield {"weak": _summary(weak), "balanced": _summary(balanced), "frame": render.side_by_side(panels)}


def nearest_shares(points: np.ndarray, modes: np.ndarray) -> np.ndarray:
    """``points`` ``(N, 2)``, ``modes`` ``(M, 2)`` -> the share of the points nearest to each mode ``(M,)``."""
    nearest = metrics.nearest_mode(np.asarray(points, np.float64), np.asarray(modes, np.float64))
    return np.bincount(nearest, minlength=len(modes)) / max(len(points), 1)


def cycling(iterations: int = 3000, every: int = 100, seed: int = 0):
    """G chased around the ring (``CYCLING``); yields progress, then {"frames": [PIL], "shares": (T, 8) list,
    "iterations": [...], "held": [...], "visits": [...], "hold": HOLD} where shares[t][m] is the share of
    samples nearest to mode m at frame t, ``held`` the mode held in each frame that has one (``held_modes``)
    and ``visits`` those modes in order, repeats merged (``mode_visits``)."""
    lab = Lab(dataclasses.replace(CYCLING, seed=seed))
    frames, shares, steps = [], [], []
    with one_thread():
        for i in range(0, iterations + 1, every):
            if i:
                for _ in range(every):
                    lab.iteration()
            shares.append([round(float(s), 4) for s in nearest_shares(lab.samples(EVAL_N).numpy(), lab.data.modes)])
            steps.append(i)
            frames.append(render.field(render.snapshot(lab, n_show=256, n_arrows=1)).resize((240, 240)))
            yield {"done": i, "of": iterations}
    held = held_modes(shares)
    yield {"frames": frames, "shares": shares, "iterations": steps, "held": held, "visits": mode_visits(held),
           "hold": HOLD}


def held_modes(shares, hold: float = HOLD) -> list[int]:
    """The mode held (more than ``hold`` of the samples nearest to it) in each frame that has one, in order."""
    return [int(np.argmax(row)) for row in shares if max(row) > hold]


def mode_visits(held: list[int]) -> list[int]:
    """The held modes with repeats in a row merged: the modes G visited, in order."""
    return [m for i, m in enumerate(held) if i == 0 or m != held[i - 1]]


def mode_hops(shares, hold: float = HOLD) -> int:
    """How often the held mode changes from one held frame to the next (frames without one are skipped)."""
    return max(len(mode_visits(held_modes(shares, hold))) - 1, 0)


def dirac(steps: int = 400, lr: float = 0.1, theta: float = 1.0, psi: float = 0.0) -> dict:
    """Gradient steps on the Dirac GAN from (theta, psi): {"simultaneous": (T+1, 2), "alternating": (T+1, 2)}
    trajectories of (theta, psi), and each one's final distance from the equilibrium (0, 0).

    V(theta, psi) = log sigma(psi * 0) + log(1 - sigma(psi * theta)); D ascends V in psi, G descends
    it in theta: dV/dpsi = -theta sigma(psi theta), dV/dtheta = -psi sigma(psi theta).
    """
    sig = lambda t: 1.0 / (1.0 + np.exp(-t))  # noqa: E731
    out = {}
    for mode in ("simultaneous", "alternating"):
        th, ps, path = theta, psi, [(theta, psi)]
        for _ in range(steps):
            new_ps = ps + lr * (-th * sig(ps * th))                 # D: ascent on V
            ps_for_g = new_ps if mode == "alternating" else ps        # alternating: G sees the new D
            th = th - lr * (-ps_for_g * sig(ps_for_g * th))           # G: descent on V
            ps = new_ps
            path.append((th, ps))
        out[mode] = np.array(path)
        out[f"{mode}_final_distance"] = float(np.hypot(th, ps))
    out["start_distance"] = float(np.hypot(theta, psi))
    return out


CASES = {"strong_d": strong_d, "weak_d": weak_d, "cycling": cycling}


def run(case: str, **kwargs) -> dict:
    """Run a live case to the end and return its result (the last thing it yields)."""
    result = None
    for result in CASES[case](**kwargs):
        pass
    return result
