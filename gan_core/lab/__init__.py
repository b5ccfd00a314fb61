"""The GAN training lab: a GAN on 2-D data, stepped and measured live (tab "GAN training lab").

data     the 2-D sets (ring of 8, grid of 25, line, regions, drawn points) with their modes and σ
model    the MLP generator and discriminator, minibatch discrimination, virtual batch norm
losses   the four losses and the techniques' penalties, as pure functions
train    LabConfig, Lab (d_step, g_step, iteration, twin) and the presets
metrics  modes covered, high-quality share, reverse KL on a grid
render   the live figure, drawn with PIL
sessions per-session labs, A/B partners and the cap on labs training at once
"""
from .train import PRESETS, Lab, LabConfig

__all__ = ["Lab", "LabConfig", "PRESETS"]
