"""Arrays in, arrays out, no torch: images, superpixels, mask designs, kernels, the surrogate, uncertainty, rankings, files."""
