"""Next-frame prediction on moving Fashion-MNIST (Mathieu, Couprie & LeCun 2016): the sequence
generator (``data.py``), the U-Net predictor and its multi-scale sequence discriminator
(``nextframe.py``), Mathieu's metrics (``metrics.py``), the per-horizon evaluation
(``evaluate.py``), the command-line builders (``train.py``) and the API of the tab (``api.py``)."""
