"""The Fashion-MNIST judge: the classifier whose features and verdicts score every generator."""
