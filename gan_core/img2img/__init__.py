"""Image-to-image translation: pix2pix (paired) and CycleGAN (unpaired), their data and API."""
