"""Perspective: shaded boxes seen through a pinhole camera, and a check that a picture *is* one.

The lecture's point (Goodfellow 2016, https://arxiv.org/abs/1701.00160, Sec. 5): a GAN learns
pictures, not the 3-D objects behind them, so it can draw a box that no camera could have seen.

Data (drawn from a seed). A box with sides w, h, d in [0.5, 1.0] turns by a yaw in [15, 75] degrees
about its vertical axis, is tilted towards the camera by a pitch in [20, 40] degrees, and stands
at depth 3-3.8 in front of a pinhole camera of focal length 80 px (64 px wide: strong perspective). Each face has a fixed shade by
its axis (top/bottom 0.95, the x faces 0.6, the z faces 0.3), so the three visible faces are three
grey levels. Faces facing away from the camera are culled; a convex object needs no depth sort.
Pictures are rendered at 3x3 supersampling, i.e. anti-aliased, on 64x64.

Check ("can a box's projection be fitted to the sample"). ``fit_boxes`` searches for the box
(sides, yaw, pitch, position; the depth is fixed because a box twice as large and twice as far
looks the same) whose rendering matches the picture: a soft rasteriser makes the rendering
differentiable, Adam fits all pictures at once from three starting yaws. ``fit_error`` is the
remaining L1 difference over the picture's ink, sum |render - x| / sum x: near 0 for a true
projection, large where no box explains the picture (faces that do not meet, edges that do not
converge to common vanishing points, wrong shading). A picture is *impossible* above
``IMPOSSIBLE``, a threshold set above every real picture's error (BENCHMARKS.md).
"""
from __future__ import annotations

import math

import numpy as np
import torch

SIZE = 64
FOCAL = 80.0                                   # pixels
DEPTH = (3.0, 3.8)                             # the box centre's distance from the camera
FIT_DEPTH = 3.4                                # the fit's fixed depth (scale absorbs the rest)
SIDES = (0.5, 1.0)
YAW = (15.0, 75.0)                             # degrees: two side faces and the top are visible
PITCH = (20.0, 40.0)
SHIFT = 0.25                                   # the centre moves up to this far sideways / up-down
SHADES = torch.tensor([0.6, 0.95, 0.3])        # shade of the faces normal to x, y (top), z
IMPOSSIBLE = 0.15                              # fit error above which no box explains a picture
SUPER = 3                                      # supersampling of the data's rendering

# the 8 corners as signs (sx, sy, sz), index sx*4 + sy*2 + sz
CORNERS = torch.tensor([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], dtype=torch.float32)


def _faces() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Corner indices ``(6, 4)`` of each face in cyclic order, its outward normal ``(6, 3)``, its axis."""
    cycles, normals, axes = [], [], []
    for axis in range(3):
        b, c = [a for a in range(3) if a != axis]
        for sign in (-1, 1):
            cyc = []
            for ub, uc in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                s = [0, 0, 0]
                s[axis], s[b], s[c] = sign, ub, uc
                cyc.append(int((s[0] > 0) * 4 + (s[1] > 0) * 2 + (s[2] > 0)))
            cycles.append(cyc)
            n = [0.0, 0.0, 0.0]
            n[axis] = float(sign)
            normals.append(n)
            axes.append(axis)
    return torch.tensor(cycles), torch.tensor(normals), torch.tensor(axes)


FACE_CORNERS, FACE_NORMALS, FACE_AXES = _faces()


def rotation(yaw: torch.Tensor, pitch: torch.Tensor) -> torch.Tensor:
    """``(B,)`` angles in radians -> rotations ``(B, 3, 3)``: yaw about the vertical axis, then the tilt
    that shows the top face to the camera."""
    cy, sy, cp, sp = yaw.cos(), yaw.sin(), pitch.cos(), pitch.sin()
    one, zero = torch.ones_like(yaw), torch.zeros_like(yaw)
    r_yaw = torch.stack([cy, zero, sy, zero, one, zero, -sy, zero, cy], -1).reshape(-1, 3, 3)
    r_pitch = torch.stack([one, zero, zero, zero, cp, sp, zero, -sp, cp], -1).reshape(-1, 3, 3)
    return r_pitch @ r_yaw


def project(params: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """Box parameters (each ``(B,)`` or ``(B, 3)``) -> projected corners ``(B, 8, 2)`` in pixels and
    a visibility mask of the faces ``(B, 6)`` (facing the camera)."""
    sides, R, centre = params["sides"], rotation(params["yaw"], params["pitch"]), params["centre"]
    local = CORNERS[None] * sides[:, None, :] / 2                              # (B, 8, 3)
    cam = local @ R.transpose(1, 2) + centre[:, None, :]                       # (B, 8, 3) camera frame
    uv = torch.stack([SIZE / 2 + FOCAL * cam[..., 0] / cam[..., 2],
                      SIZE / 2 - FOCAL * cam[..., 1] / cam[..., 2]], -1)       # (B, 8, 2), v grows downwards
    normals = FACE_NORMALS[None] @ R.transpose(1, 2)                           # (B, 6, 3)
    face_centres = cam[:, FACE_CORNERS].mean(2)                                # (B, 6, 4, 3) -> (B, 6, 3)
    visible = (normals * face_centres).sum(-1) < 0                             # facing the camera (at 0)
    return uv, visible


def _grid(samples: int) -> torch.Tensor:
    """Sample points ``((samples*SIZE)^2, 2)`` as (u, v): ``samples`` per pixel side; ``samples`` 0.5
    puts one point at the centre of each 2x2 block (the fit's coarse pass)."""
    n = int(SIZE * samples)
    t = (torch.arange(n, dtype=torch.float32) + 0.5) / samples
    vv, uu = torch.meshgrid(t, t, indexing="ij")
    return torch.stack([uu, vv], -1).reshape(-1, 2)


def render(params: dict, *, softness: float = 0.0, samples: int = 1) -> torch.Tensor:
    """Pictures ``(B, 64, 64)`` in [0, 1] of the boxes ``params``.

    ``softness`` 0: hard edges; > 0: each face's coverage is sigmoid(distance to its nearest edge /
    softness), differentiable in the box. ``samples``^2 points per pixel are averaged (anti-aliasing);
    ``samples`` 0.5 gives a 32x32 picture (one point per 2x2 block).
    """
    uv, visible = project(params)
    # a box shows at most 3 faces: keep those (B, 6) -> (B, 3); a face still hidden gets shade 0
    faces = visible.float().topk(3, dim=1).indices                              # (B, 3)
    quads = uv[torch.arange(uv.shape[0])[:, None, None], FACE_CORNERS[faces]]   # (B, 3, 4, 2)
    shade = SHADES[FACE_AXES[faces]] * visible.gather(1, faces)                 # (B, 3)
    a, b = quads, quads.roll(-1, dims=2)                                        # each edge a -> b
    edge = b - a                                                                # (B, 6, 4, 2)
    length = edge.norm(dim=-1).clamp_min(1e-6)
    area2 = (a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]).sum(-1)            # (B, 3) twice the signed area
    orient = torch.where(area2 >= 0, 1.0, -1.0)[..., None]                      # make "inside" positive
    p = _grid(samples)                                                          # (P, 2)
    # signed distance of each point to each edge line: (B, 3, 4, P)
    cross = edge[..., 0:1] * (p[:, 1] - a[..., 1:2]) - edge[..., 1:2] * (p[:, 0] - a[..., 0:1])
    dist = (cross / length[..., None]) * orient[..., None]
    inside = dist.amin(2)                                                       # (B, 3, P) > 0 inside the quad
    cover = (inside > 0).float() if softness == 0 else torch.sigmoid(inside / softness)
    img = (shade[..., None] * cover).sum(1).clamp(0, 1)                         # (B, P)
    side = int(SIZE * samples)
    img = img.reshape(-1, side, side)
    if samples > 1:  # average the s x s points of each pixel
        img = img.reshape(-1, SIZE, samples, SIZE, samples).mean((2, 4))
    return img


def random_boxes(n: int, seed: int = 0) -> dict:
    """``n`` boxes drawn from the data set's distribution (module docstring), as parameters."""
    g = torch.Generator().manual_seed(seed)
    u = lambda *shape: torch.rand(*shape, generator=g)  # noqa: E731
    depth = DEPTH[0] + (DEPTH[1] - DEPTH[0]) * u(n)
    shift = (u(n, 2) * 2 - 1) * SHIFT
    return {"sides": SIDES[0] + (SIDES[1] - SIDES[0]) * u(n, 3),
            "yaw": torch.deg2rad(YAW[0] + (YAW[1] - YAW[0]) * u(n)),
            "pitch": torch.deg2rad(PITCH[0] + (PITCH[1] - PITCH[0]) * u(n)),
            "centre": torch.stack([shift[:, 0], shift[:, 1], depth], 1)}


def make_boxes(n: int, seed: int = 0, chunk: int = 16) -> tuple[torch.Tensor, dict]:
    """``n`` pictures uint8 ``(n, 64, 64)`` of random boxes and the boxes' parameters (the truth)."""
    params = random_boxes(n, seed)
    images = render_fine(params, chunk)
    return (images * 255).round().to(torch.uint8), params


def corners(params: dict) -> torch.Tensor:
    """The projected corners ``(B, 8, 2)`` (u, v) in pixels: the ground truth a test can check."""
    return project(params)[0]


_UNIT_AREA: list[float] = []  # ink pixels of a unit cube at the fit's depth, yaw 45, pitch 30


def _unit_area() -> float:
    if not _UNIT_AREA:
        cube = {"sides": torch.ones(1, 3), "yaw": torch.tensor([math.radians(45.0)]),
                "pitch": torch.tensor([math.radians(30.0)]), "centre": torch.tensor([[0.0, 0.0, FIT_DEPTH]])}
        _UNIT_AREA.append(float((render(cube) > 0).sum()))
    return _UNIT_AREA[0]


def _initial(images: torch.Tensor, yaw_deg: float) -> dict:
    """A starting box for each picture: centred on its ink, sized by its ink area, at ``yaw_deg``."""
    b = images.shape[0]
    mass = images.sum((1, 2)).clamp_min(1e-6)
    t = torch.arange(SIZE, dtype=torch.float32) + 0.5
    cu = (images.sum(1) * t).sum(1) / mass
    cv = (images.sum(2) * t).sum(1) / mass
    area = (images > 0.15).float().sum((1, 2)).clamp_min(20)
    side = (area / _unit_area()).sqrt()                                        # area grows with side^2
    uv = torch.stack([(cu - SIZE / 2) / FOCAL * FIT_DEPTH, -(cv - SIZE / 2) / FOCAL * FIT_DEPTH], 1)
    return {"log_sides": side.log()[:, None].repeat(1, 3), "yaw": torch.full((b,), math.radians(yaw_deg)),
            "pitch": torch.full((b,), math.radians(30.0)), "uv": uv}


def _params(v: dict) -> dict:
    b = v["yaw"].shape[0]
    return {"sides": v["log_sides"].exp(), "yaw": v["yaw"], "pitch": v["pitch"],
            "centre": torch.cat([v["uv"], torch.full((b, 1), FIT_DEPTH)], 1)}


def _chunks(params: dict, size: int):
    n = next(iter(params.values())).shape[0]
    for i in range(0, n, size):
        yield {k: v[i:i + size] for k, v in params.items()}


def render_fine(params: dict, chunk: int = 16) -> torch.Tensor:
    """``render(params, samples=SUPER)`` a few boxes at a time (the supersampled grid is large)."""
    out = [render(p, samples=SUPER) for p in _chunks(params, chunk)]
    return torch.cat(out) if out else torch.zeros(0, SIZE, SIZE)


def fit_boxes(images, steps: int = 80, yaws=(30.0, 60.0)) -> tuple[dict, torch.Tensor]:
    """Fit a box to each picture ``(n, 64, 64)`` (uint8, or float in [0, 1]); -> (best box parameters,
    fit error ``(n,)`` = sum |render - x| / sum x of the anti-aliased rendering of the best fit).

    The search runs on 32x32 (each picture average-pooled, the box rendered at one point per 2x2
    block), the edges sharpening from 1.5 to 0.25 coarse pixels; the error is measured on 64x64.
    """
    x = torch.as_tensor(images).reshape(-1, SIZE, SIZE).float()
    x = x / 255.0 if x.max() > 1.0 else x
    coarse = torch.nn.functional.avg_pool2d(x[:, None], 2)[:, 0]               # (n, 32, 32)
    n = x.shape[0]
    best_err, best = torch.full((n,), float("inf")), None
    for yaw in yaws:
        v = {k: t.clone().requires_grad_(True) for k, t in _initial(x, yaw).items()}
        opt = torch.optim.Adam(v.values(), lr=0.04)
        for i in range(steps):
            softness = 3.0 * (0.5 / 3.0) ** (i / max(steps - 1, 1))             # in 64-px units: 3 -> 0.5
            loss = (render(_params(v), softness=softness, samples=0.5) - coarse).abs().mean((1, 2)).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            with torch.no_grad():
                v["pitch"].clamp_(math.radians(-80), math.radians(80))
                v["log_sides"].clamp_(math.log(0.05), math.log(5.0))
        with torch.no_grad():
            p = {k: t.detach() for k, t in _params(v).items()}
            err = fit_error(render_fine(p), x)
            better = err < best_err
            best_err = torch.where(better, err, best_err)
            if best is None:
                best = {k: t.clone() for k, t in p.items()}
            else:
                for k in best:
                    best[k][better] = p[k][better]
    return best, best_err


def fit_error(rendered: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """sum |rendered - x| / sum x per picture ``(n,)``: the share of the ink the fitted box gets wrong."""
    return (rendered - x).abs().sum((1, 2)) / x.sum((1, 2)).clamp_min(1.0)


def geometry_figures(images, steps: int = 80) -> dict:
    """Fit errors of a set of pictures and the share that no box explains (error above ``IMPOSSIBLE``)."""
    _, err = fit_boxes(images, steps=steps)
    e = err.numpy()
    return {"fit_error_median": float(np.median(e)), "fit_error_p90": float(np.quantile(e, 0.9)),
            "impossible_share": float((e > IMPOSSIBLE).mean()), "n": len(e)}
