"""The Failure gallery: each difficulty the lecture names, reproduced and measured (tab "Failure gallery").

counting     1-3 shapes on a 64x64 canvas from a seed, and the exact counter (components, fragments, merges)
perspective  shaded boxes through a pinhole camera from a seed, and the box fit that checks a picture
model        the 64x64 DCGAN trained on both (CanvasGAN)
recorded     the Fashion-MNIST runs unbalanced on purpose, measuring gradients and class shares as they go
live         the 2-D cases, run in seconds on gan_core.lab's Lab: D too strong, D too weak, a cycling G
structure    global structure of Fashion-MNIST samples: symmetry, legs, the judge's least sure items
far          the suite's models on inputs unlike their training data, with the drop measured
api          the functions the tab calls (exported by gan_core)
train        the training commands (python -m gan_core.train counting | perspective | imbalance | collapse)
measure      the figures of the trained models, written to their model cards
"""
