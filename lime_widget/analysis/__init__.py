"""What an explanation is worth: deletion/insertion curves, flip searches, Grad-CAM, ranking comparisons."""
