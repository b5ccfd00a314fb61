"""×4 super-resolution: SRResNet and SRGAN (Ledig et al. 2017), their data, metrics and API."""
