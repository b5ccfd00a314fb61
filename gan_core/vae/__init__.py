"""The variational autoencoder (Kingma & Welling 2013) on Fashion-MNIST: network, API, figures."""
