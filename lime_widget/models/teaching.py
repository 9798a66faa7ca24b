"""A synthetic task with a planted shortcut, and a tiny CNN that learns to cheat on it (for teaching).

Images show a circle (class 0) or a square (class 1) on a noisy background. In the training data every
square also carries a small checkerboard mark in the top-left corner, so a network can get 100% training
accuracy by looking at the corner only, and a small CNN does. LIME (and Grad-CAM) reveal the cheat: the
corner gets the top weight, and an honest test set (no marks), or circles with a mark, expose it.

Everything is generated offline in a second and trains in seconds on a CPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from .classifiers import Preprocess, TorchClassifier

CLASSES = ("circle", "square")
MarkPolicy = Literal["shortcut", "none", "random", "flipped"]
MARK_OFFSET = 2  # px from the top-left corner
MARK_CELLS = 3  # the mark is a MARK_CELLS x MARK_CELLS checkerboard of 2x2-pixel squares


@dataclass(frozen=True)
class ShortcutDataset:
    """images uint8 (n, size, size, 3); labels int64 (n,) (0 = circle, 1 = square); marked bool (n,) whether
    the corner mark is painted; class_names ("circle", "square"); objects bool (n, size, size): where the
    shape is (the object masks of an audit: what an honest model should look at)."""

    images: np.ndarray
    labels: np.ndarray
    marked: np.ndarray
    class_names: tuple[str, ...] = CLASSES
    objects: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.labels.size)

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        """(image, label), like a torchvision dataset, so ``lw.audit(dataset, ...)`` takes it as it is."""
        return self.images[i], int(self.labels[i])


def mark_region(size: int = 64) -> np.ndarray:
    """bool (size, size): the pixels the corner mark covers."""
    side = 2 * MARK_CELLS
    out = np.zeros((size, size), dtype=bool)
    out[MARK_OFFSET : MARK_OFFSET + side, MARK_OFFSET : MARK_OFFSET + side] = True
    return out


def add_mark(image: np.ndarray) -> np.ndarray:
    """A copy of a uint8 (S, S, 3) image with the shortcut mark (a small black/white checkerboard) painted
    in its top-left corner."""
    out = np.array(image, dtype=np.uint8, copy=True)
    side = 2 * MARK_CELLS
    yy, xx = np.mgrid[:side, :side]
    checker = np.where(((yy // 2) + (xx // 2)) % 2 == 0, 255, 0).astype(np.uint8)
    out[MARK_OFFSET : MARK_OFFSET + side, MARK_OFFSET : MARK_OFFSET + side] = checker[..., None]
    return out


def make_shortcut_dataset(
    n: int,
    size: int = 64,
    rng: int | np.random.Generator | None = 0,
    *,
    mark: MarkPolicy = "shortcut",
) -> ShortcutDataset:
    """Generate n images of circles and squares (balanced, random order).

    size: side in pixels (>= 24). rng: seed or Generator. mark: who gets the corner mark:
    ``shortcut`` every square and no circle (the training data with the cheat), ``none`` nobody (an honest
    test set), ``random`` a random half regardless of class, ``flipped`` every circle and no square.
    Shapes have a random colour, position and size (radius / half-side 7..13 px at size 64, scaled) on a
    noisy gray background. Returns a :class:`ShortcutDataset`.
    """
    if size < 24:
        raise ValueError(f"size must be at least 24 px; got {size}")
    if mark not in ("shortcut", "none", "random", "flipped"):
        raise ValueError(f"mark must be 'shortcut', 'none', 'random' or 'flipped'; got {mark!r}")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    labels = gen.permutation(np.arange(n) % 2).astype(np.int64)
    if mark == "shortcut":
        marked = labels == 1
    elif mark == "flipped":
        marked = labels == 0
    elif mark == "random":
        marked = gen.random(n) < 0.5
    else:
        marked = np.zeros(n, dtype=bool)
    scale = size / 64.0
    yy, xx = np.mgrid[:size, :size].astype(np.float64)
    images = np.empty((n, size, size, 3), dtype=np.uint8)
    objects = np.zeros((n, size, size), dtype=bool)
    for i in range(n):
        base = gen.uniform(70, 150)
        img = base + gen.normal(0, 18, size=(size, size, 1)) + gen.normal(0, 6, size=(size, size, 3))
        r = gen.uniform(7, 13) * scale
        lo = 2 * MARK_CELLS + MARK_OFFSET + 2 + r  # keep shapes clear of the mark's corner
        cy = gen.uniform(max(r + 1, lo * 0.6), size - r - 1)
        cx = gen.uniform(max(r + 1, lo), size - r - 1)
        if labels[i] == 0:
            inside = (yy - cy) ** 2 + (xx - cx) ** 2 <= r**2
        else:
            s = r * 0.886  # same area as the circle
            inside = (np.abs(yy - cy) <= s) & (np.abs(xx - cx) <= s)
        objects[i] = inside
        colour = gen.uniform(0, 255, size=3)
        img[inside] = colour + gen.normal(0, 6, size=(int(inside.sum()), 3))
        im8 = np.clip(np.round(img), 0, 255).astype(np.uint8)
        images[i] = add_mark(im8) if marked[i] else im8
    return ShortcutDataset(images=images, labels=labels, marked=marked, objects=objects)


class TinyCNN(torch.nn.Module):
    """Three 3x3 conv layers (16, 32, 32 channels, ReLU, a 2x2 max-pool after the first two), global average
    pooling and a linear layer.

    Input float (n, 3, S, S), normalised; output logits (n, n_classes). The last conv layer
    (``features.6``) sees S/4 x S/4 positions: Grad-CAM's default layer.
    """

    def __init__(self, n_classes: int = 2) -> None:
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(3, 16, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(16, 32, 3, padding=1),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(32, 32, 3, padding=1),
            torch.nn.ReLU(),
        )
        self.head = torch.nn.Linear(32, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(dim=(2, 3)))


def train_shortcut_cnn(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    epochs: int = 3,
    batch_size: int = 32,
    lr: float = 1e-2,
    seed: int = 0,
    class_names: tuple[str, ...] = CLASSES,
) -> TorchClassifier:
    """Train a :class:`TinyCNN` on uint8 images (n, S, S, 3) with int labels (n,) and wrap it for LIME.

    Adam, cross-entropy, ``epochs`` passes in shuffled mini-batches, on one CPU thread (the thread count
    is restored after); seeded (the caller's global torch random state is left as it was). Returns a
    :class:`TorchClassifier` in eval mode (inputs in [0, 1], normalised with mean = std = 0.5 per channel,
    no resizing) with ``class_names`` as labels.
    """
    imgs = np.asarray(images)
    y = torch.as_tensor(np.asarray(labels), dtype=torch.int64)
    if imgs.ndim != 4 or imgs.shape[-1] != 3 or imgs.dtype != np.uint8:
        raise ValueError(f"images must be uint8 (n, S, S, 3); got {imgs.dtype} {imgs.shape}")
    if y.shape != (imgs.shape[0],):
        raise ValueError(f"labels must have shape ({imgs.shape[0]},); got {tuple(y.shape)}")
    pre = Preprocess(mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))
    x = pre.normalize(torch.from_numpy(imgs).permute(0, 3, 1, 2).float().div(255.0))
    threads = torch.get_num_threads()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = TinyCNN(n_classes=len(class_names))
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        loss_fn = torch.nn.CrossEntropyLoss()
        model.train()
        # One thread: fastest for a network this small, and it does not fight other processes for cores
        # (on a busy 2-core machine two threads made training ten times slower).
        torch.set_num_threads(1)
        try:
            for _ in range(int(epochs)):
                order = torch.randperm(x.shape[0])
                for start in range(0, x.shape[0], batch_size):
                    idx = order[start : start + batch_size]
                    opt.zero_grad()
                    loss = loss_fn(model(x[idx]), y[idx])
                    loss.backward()
                    opt.step()
        finally:
            torch.set_num_threads(threads)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return TorchClassifier(model, transform=pre, class_names=list(class_names))


def accuracy(classifier: TorchClassifier, images: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of uint8 images (n, S, S, 3) whose top class equals labels (n,)."""
    x = torch.from_numpy(np.asarray(images)).permute(0, 3, 1, 2).contiguous()
    probs = np.concatenate([classifier.predict(x[i : i + 256]) for i in range(0, x.shape[0], 256)])
    return float(np.mean(np.argmax(probs, axis=1) == np.asarray(labels)))
