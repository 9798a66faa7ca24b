"""Test helpers: tiny synthetic images and models with known answers (all offline, CPU, fast)."""

from __future__ import annotations

import numpy as np
import torch

import lime_widget as lw
from lime_widget.core.segmentation import grid

GRID = 8  # the synthetic images are GRID x GRID cells of CELL px
CELL = 8


def cell_image(seed: int = 0) -> np.ndarray:
    """uint8 (64, 64, 3): every cell a distinct, fairly bright, uniform colour."""
    rng = np.random.default_rng(seed)
    colours = rng.integers(60, 230, size=(GRID * GRID, 3), dtype=np.uint8)
    seg = grid(GRID * CELL, GRID * CELL, shape=(GRID, GRID))
    return colours[seg]


def cell_segments() -> np.ndarray:
    return grid(GRID * CELL, GRID * CELL, shape=(GRID, GRID))


class PlantedCue(torch.nn.Module):
    """Logit of class 1 grows with the fine texture inside one region only (cells ``cells`` of the grid).

    Texture = mean absolute difference between horizontal neighbours; every hide mode (mean, gray, black,
    blur) flattens a 1-pixel checkerboard, so hiding a cue cell lowers the score and nothing else does.
    """

    def __init__(self, region: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("region", region[:, 1:].float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = x.mean(dim=1)
        texture = ((g[:, :, 1:] - g[:, :, :-1]).abs() * self.region).sum(dim=(1, 2)) / self.region.sum()
        logit = 10.0 * (texture - 0.5)
        return torch.stack([torch.zeros_like(logit), logit], dim=1)


def cue_image(cells: list[int]) -> np.ndarray:
    """cell_image() with a black/white 1-pixel checkerboard in the given cells."""
    img = cell_image()
    seg = cell_segments()
    yy, xx = np.mgrid[: img.shape[0], : img.shape[1]]
    checker = np.where((yy + xx) % 2 == 0, 255, 0).astype(np.uint8)
    where = np.isin(seg, cells)
    img[where] = checker[where][:, None]
    return img


def planted_classifier(cells: list[int]) -> lw.TorchClassifier:
    """A classifier whose class-1 ("cue") score depends only on the texture inside the given grid cells."""
    region = torch.from_numpy(np.isin(cell_segments(), cells))
    return lw.TorchClassifier(PlantedCue(region).eval(), transform=lw.Preprocess(), class_names=["other", "cue"])


def linear_model(beta: np.ndarray, base: float = 0.3) -> lw.FunctionClassifier:
    """A classifier linear in the on/off state of each cell: p1 = base + sum_k beta_k * visible_k.

    A cell counts as visible when its centre pixel is not black (tests hide with black).
    """
    centres = np.arange(GRID) * CELL + CELL // 2

    def fn(batch: np.ndarray) -> np.ndarray:
        vis = batch[:, centres[:, None], centres[None, :], :].reshape(len(batch), -1, 3).max(axis=2) > 0
        p1 = base + vis.astype(np.float64) @ beta
        return np.stack([1.0 - p1, p1], axis=1)

    return lw.FunctionClassifier(fn, class_names=["no", "yes"])
