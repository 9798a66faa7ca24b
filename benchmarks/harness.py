"""Benchmark harness: images, models, the contenders and how they are measured.

Every contender of a case sees the same image, the same SLIC superpixels, the same torch module (same
weights, same device) and the same number of samples. Each measurement runs in ``run_contender``, which a
fresh ``spawn`` subprocess executes in the full benchmark (so one contender's allocations cannot hide or
inflate another's peak memory) and the parent process executes in ``--quick`` mode.

lime and captum are imported here, never from ``lime_widget``.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

os.environ.setdefault("TQDM_DISABLE", "1")  # lime draws a tqdm bar per run; keep the table readable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

TOY_SIZE = 64  # input side of the --quick toy network


# --------------------------------------------------------------------------- specs (picklable)
@dataclass(frozen=True)
class Options:
    """Settings shared by every measurement of a run."""

    device: str = "cpu"
    bf16: bool = False
    channels_last: bool = False
    num_samples: int = 1000
    warmup_samples: int = 100
    rescore_repeats: int = 20
    repeats: int = 1  # timed runs per contender; the fastest counts (extrapolated contenders: 1)
    seed: int = 0
    #: (layout, batch) of the forward-only bound of the case, re-measured next to every contender
    bound: tuple[str, int] | None = None


@dataclass(frozen=True)
class Contender:
    """One way of explaining: ``tool`` in lime_widget | lime | captum | forward; ``batch`` None = the tool's default."""

    key: str
    tool: str
    batch: int | None = None
    label: str = ""
    #: measure at these two sample counts and extrapolate linearly to Options.num_samples (None: measure it)
    samples: tuple[int, int] | None = None


@dataclass
class Case:
    name: str
    model: str
    image: np.ndarray
    segments: np.ndarray
    description: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- images
def make_image(size: tuple[int, int] | None, base: str = "chelsea") -> np.ndarray:
    """scikit-image's photo at its own size, or resized to size (h, w) with PIL bicubic."""
    from PIL import Image

    import lime_widget as lw

    img = lw.sample_image(base)
    if size is None or tuple(size) == img.shape[:2]:
        return img
    h, w = size
    return np.asarray(Image.fromarray(img).resize((w, h), Image.BICUBIC))


def make_segments(image: np.ndarray, n_segments: int = 75) -> np.ndarray:
    import lime_widget as lw

    return lw.segment(image, "slic", {"n_segments": n_segments})


# --------------------------------------------------------------------------- models
def _toy_module() -> Any:
    import torch

    class ToyCNN(torch.nn.Module):
        """Two convolutions and a linear head over 10 classes: fast enough for the smoke run."""

        def __init__(self) -> None:
            super().__init__()
            self.features = torch.nn.Sequential(
                torch.nn.Conv2d(3, 8, 3, stride=2, padding=1),
                torch.nn.ReLU(),
                torch.nn.Conv2d(8, 16, 3, stride=2, padding=1),
                torch.nn.ReLU(),
                torch.nn.AdaptiveAvgPool2d(1),
                torch.nn.Flatten(),
            )
            self.head = torch.nn.Linear(16, 10)

        def forward(self, x: Any) -> Any:
            return self.head(self.features(x))

    return ToyCNN().eval()


def build_classifier(model: str, opts: Options) -> Any:
    """The lime_widget classifier of a model name; its ``module`` is what lime and captum get too."""
    import torch

    import lime_widget as lw
    from lime_widget.models.zoo import IMAGENET_MEAN, IMAGENET_STD

    torch.manual_seed(opts.seed)  # the same random weights in every subprocess
    if model == "toy":
        module = _toy_module().to(opts.device)
        pre = lw.Preprocess(resize=(TOY_SIZE, TOY_SIZE), mean=IMAGENET_MEAN, std=IMAGENET_STD)
        clf = lw.TorchClassifier(module, transform=pre, class_names=[f"toy {i}" for i in range(10)], device=opts.device)
    elif model == "efficientnet_lite0":
        clf = lw.load_model(model, device=opts.device)
    else:
        clf = lw.load_model(model, device=opts.device, pretrained=False)
    if opts.channels_last:
        clf.module.to(memory_format=torch.channels_last)
    return clf


def user_preprocess(clf: Any) -> Any:
    """The preprocessing a user writes for lime / captum: float (n, 3, H, W) in [0, 1] -> normalised model input.

    Same steps as the model's preset (torchvision functional resize with antialias, centre crop, ImageNet
    normalisation), applied to full-resolution images.
    """
    from torchvision.transforms.v2 import functional as tf

    pre = clf.preprocess

    def prepare(x: Any) -> Any:
        if pre.resize is not None:
            size = [pre.resize] if isinstance(pre.resize, int) else list(pre.resize)
            x = tf.resize(x, size, antialias=True)
        if pre.crop is not None:
            x = tf.center_crop(x, [pre.crop, pre.crop] if isinstance(pre.crop, int) else list(pre.crop))
        return tf.normalize(x, list(pre.mean), list(pre.std))

    return prepare


def _autocast(opts: Options) -> Any:
    import contextlib

    import torch

    if opts.bf16:
        return torch.autocast(device_type=torch.device(opts.device).type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _sync(opts: Options) -> None:
    if opts.device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def lime_classifier_fn(clf: Any, opts: Options) -> Any:
    """What a lime user writes: uint8 (n, H, W, 3) numpy -> probabilities (n, C) numpy."""
    import torch

    module, prepare, device = clf.module, user_preprocess(clf), opts.device

    def classifier_fn(images: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(images).to(device).permute(0, 3, 1, 2).float().div(255.0)
        with torch.inference_mode(), _autocast(opts):
            out = module(prepare(x))
            return torch.softmax(out.float(), dim=1).cpu().numpy()

    return classifier_fn


def captum_forward_fn(clf: Any, opts: Options) -> Any:
    """What a captum user writes: float (n, 3, H, W) in [0, 1] at full resolution -> probabilities (n, C)."""
    import torch

    module, prepare = clf.module, user_preprocess(clf)

    def forward_func(x: Any) -> Any:
        with torch.inference_mode(), _autocast(opts):
            out = module(prepare(x))
            return torch.softmax(out.float(), dim=1).clone()

    return forward_func


# --------------------------------------------------------------------------- memory
def _read_hwm_kb() -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_hwm() -> bool:
    """Reset the kernel's peak-RSS counter to the current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class PeakRSS:
    """Peak resident memory above the RSS at entry.

    Uses the kernel's exact high-water mark (reset at entry through /proc/self/clear_refs) and, as a
    fallback or cross-check, a psutil thread sampling RSS every ``interval`` s.
    """

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.baseline = 0
        self.sampled_peak = 0
        self.hwm_reset = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> PeakRSS:
        import psutil

        gc.collect()
        self._proc = psutil.Process()
        self.baseline = self._proc.memory_info().rss
        self.sampled_peak = self.baseline
        self.hwm_reset = _reset_hwm()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            rss = self._proc.memory_info().rss
            if rss > self.sampled_peak:
                self.sampled_peak = rss
            self._stop.wait(self.interval)

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()
        hwm = _read_hwm_kb() if self.hwm_reset else None
        self.hwm_peak = hwm * 1024 if hwm is not None else None

    @property
    def extra_mb(self) -> float:
        peak = max(self.sampled_peak, self.hwm_peak or 0)
        return (peak - self.baseline) / 2**20

    def as_dict(self) -> dict[str, Any]:
        return {
            "peak_rss_extra_mb": round(self.extra_mb, 1),
            "baseline_rss_mb": round(self.baseline / 2**20, 1),
            "sampled_peak_extra_mb": round((self.sampled_peak - self.baseline) / 2**20, 1),
            "memory_method": "VmHWM reset + 5 ms psutil sampler" if self.hwm_reset else "5 ms psutil sampler",
        }


# --------------------------------------------------------------------------- the contenders
def top_k(weights: np.ndarray, k: int = 5) -> list[int]:
    """The k superpixels with the largest positive weights, best first (lw's ``top_segments``)."""
    order = np.argsort(-weights, kind="stable")
    order = order[weights[order] > 0]
    return [int(i) for i in order[:k]]


def _lime_weights(exp: Any, label: int, k: int) -> np.ndarray:
    w = np.zeros(k)
    for feature, weight in exp.local_exp[label]:
        w[int(feature)] = weight
    return w


def mean_fill(image: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """Each superpixel painted with its mean colour (lime's hide_color=None, lime_widget's hide='mean')."""
    from lime_widget.engine.compose import fill_image

    return fill_image(image, segments, "mean")


class Runner:
    """Builds a contender's callable once (model, classifier function), then runs it with n samples."""

    def __init__(self, case: Case, contender: Contender, opts: Options) -> None:
        self.case, self.contender, self.opts = case, contender, opts
        self.clf = build_classifier(case.model, opts)
        self.k = int(case.segments.max()) + 1
        if contender.tool == "forward":
            self._prepare_forward()

    # ---- lime_widget
    def _run_lime_widget(self, n: int, seed: int) -> dict[str, Any]:
        import lime_widget as lw

        with _autocast(self.opts):
            exp = lw.explain(
                self.case.image,
                self.clf,
                segments=self.case.segments,
                num_samples=n,
                progress=False,
                random_state=seed,
                batch_size=self.contender.batch,
            )
        _sync(self.opts)
        self.last_explanation = exp
        return {
            "top_label": int(exp.top_label),
            "top5": top_k(exp.weights(exp.top_label)),
            "batch_size": int(exp.batch_size),
            "channels_last": bool(getattr(self.clf, "channels_last", False)),
            "timings": {k: round(v, 4) for k, v in exp.timings.items()},
        }

    # ---- lime
    def _run_lime(self, n: int, seed: int) -> dict[str, Any]:
        from lime.lime_image import LimeImageExplainer

        segments = self.case.segments
        explainer = LimeImageExplainer()
        exp = explainer.explain_instance(
            self.case.image,
            lime_classifier_fn(self.clf, self.opts),
            top_labels=5,
            hide_color=None,
            num_samples=n,
            segmentation_fn=lambda _image: segments,
            batch_size=self.contender.batch or 10,
            random_seed=seed,
        )
        _sync(self.opts)
        label = int(exp.top_labels[0])
        return {
            "top_label": label,
            "top5": top_k(_lime_weights(exp, label, self.k)),
            "batch_size": self.contender.batch or 10,
        }

    # ---- captum
    def _run_captum(self, n: int, seed: int) -> dict[str, Any]:
        import torch
        from captum.attr import Lime

        device = self.opts.device
        torch.manual_seed(seed)  # captum samples with torch's global RNG
        forward = captum_forward_fn(self.clf, self.opts)
        x = torch.from_numpy(self.case.image.copy()).permute(2, 0, 1)[None].float().div(255.0).to(device)
        baseline = (
            torch.from_numpy(mean_fill(self.case.image, self.case.segments)).permute(2, 0, 1)[None].float().div(255.0)
        ).to(device)
        mask = torch.from_numpy(self.case.segments.astype(np.int64))[None, None].to(device)
        target = int(forward(x).argmax(dim=1)[0])
        attr = Lime(forward).attribute(
            x,
            target=target,
            baselines=baseline,
            feature_mask=mask,
            n_samples=n,
            perturbations_per_eval=self.contender.batch or 1,
            show_progress=False,
        )
        _sync(self.opts)
        seg_t = torch.from_numpy(self.case.segments.astype(np.int64))
        a = attr[0, 0].detach().cpu()
        w = torch.zeros(self.k).scatter_reduce_(0, seg_t.ravel(), a.ravel(), reduce="amax").numpy()
        return {
            "top_label": target,
            "top5": top_k(w),
            "batch_size": self.contender.batch or 1,
            "nonzero_weights": int((w != 0).sum()),
        }

    # ---- forward-only bound
    def _prepare_forward(self) -> None:
        import torch

        g = torch.Generator().manual_seed(0)
        x = torch.randn(64, 3, *self._model_input_size(), generator=g).to(self.opts.device)
        self.fwd_inputs = {
            "contiguous": x.contiguous(),
            "channels_last": x.contiguous(memory_format=torch.channels_last),
        }
        self.fwd_layout = "contiguous"

    def _model_input_size(self) -> tuple[int, int]:
        """(h, w) the model sees: the image after the preset's resize and crop."""
        import torch

        h, w = self.case.image.shape[:2]
        if self.clf.preprocess is None:
            return h, w
        out = self.clf.preprocess.geometry(torch.zeros(1, h, w))
        return int(out.shape[-2]), int(out.shape[-1])

    def _forward_batches(self, n: int, bs: int, layout: str | None = None) -> None:
        import torch

        module = self.clf.module
        x = self.fwd_inputs[layout or self.fwd_layout]
        with torch.inference_mode(), _autocast(self.opts):
            for start in range(0, n, bs):
                module(x[: min(bs, n - start)])
        _sync(self.opts)

    def sweep_forward(self, candidates: list[int], images: int) -> dict[str, float]:
        """Images per second of the bare forward pass for each memory layout and batch size."""
        out: dict[str, float] = {}
        for layout in self.fwd_inputs:
            for bs in candidates:
                self._forward_batches(bs, bs, layout)  # warm this shape
                count = max(bs, images // bs * bs)
                t = time.perf_counter()
                self._forward_batches(count, bs, layout)
                out[f"{layout}/{bs}"] = count / (time.perf_counter() - t)
        return out

    def _run_forward(self, n: int, seed: int) -> dict[str, Any]:
        self._forward_batches(n, self.contender.batch or 1)
        return {"batch_size": self.contender.batch or 1, "layout": self.fwd_layout}

    # ---- dispatch
    def run(self, n: int, seed: int = 0) -> dict[str, Any]:
        fn = {
            "lime_widget": self._run_lime_widget,
            "lime": self._run_lime,
            "captum": self._run_captum,
            "forward": self._run_forward,
        }[self.contender.tool]
        return fn(n, seed)


FORWARD_BATCHES = [1, 2, 4, 6, 8, 12, 16, 32, 64]


def warmup_samples(contender: Contender, opts: Options) -> int:
    """One full batch of the contender (at least 10 samples), or ``opts.warmup_samples`` for lime_widget."""
    if contender.tool in ("lime", "captum"):
        return min(opts.num_samples, opts.warmup_samples, max(contender.batch or 1, 10))
    return min(opts.num_samples, opts.warmup_samples)


def run_contender(case: Case, contender: Contender, opts: Options) -> dict[str, Any]:
    """Measure one contender on one case: a warm-up run, then the timed run(s) under the peak-RSS monitor.

    With ``contender.samples = (a, b)`` the timed runs use a and b samples and the wall time reported for
    ``opts.num_samples`` is the linear extrapolation t(b) + (N - b) (t(b) - t(a)) / (b - a): the fixed cost
    is counted once and every further sample costs the measured marginal time.
    """
    import torch

    setup_start = time.perf_counter()
    runner = Runner(case, contender, opts)
    result: dict[str, Any] = {
        "tool": contender.tool,
        "label": contender.label,
        "torch_threads": torch.get_num_threads(),
    }
    if contender.tool == "forward" and contender.batch is None:
        sweep = runner.sweep_forward(FORWARD_BATCHES, images=48)
        best = max(sweep, key=lambda b: sweep[b])
        layout, bs = best.split("/")
        contender = replace(contender, batch=int(bs))
        runner.contender = contender
        runner.fwd_layout = layout
        result["forward_sweep_img_per_s"] = {k: round(v, 2) for k, v in sweep.items()}
    # The bound measured again in this process, alternating with the contender's own runs, so that the
    # ratio to it compares like with like even when other work on the machine comes and goes.
    pair = opts.bound if contender.tool != "forward" else None
    if pair is not None:
        runner._prepare_forward()
        runner.fwd_layout = pair[0]
        runner._forward_batches(2 * pair[1], pair[1])  # warm its shapes before the memory baseline

    def bound_run() -> float:
        assert pair is not None
        t = time.perf_counter()
        runner._forward_batches(opts.num_samples, pair[1])
        return time.perf_counter() - t

    result["setup_s"] = round(time.perf_counter() - setup_start, 3)
    if opts.device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    counts = list(contender.samples) if contender.samples else [opts.num_samples]
    times: list[float] = []
    walls: list[float] = []
    bounds: list[float] = []

    def timed(count: int) -> dict[str, Any]:
        t = time.perf_counter()
        out = runner.run(count, opts.seed)
        walls.append(time.perf_counter() - t)
        return out

    # Peak memory covers the warm-up and the first timed run(s) only: the paired bound runs come after.
    with PeakRSS() as mem:
        w = warmup_samples(contender, opts)
        t = time.perf_counter()
        runner.run(w, opts.seed)
        result["warmup_s"] = round(time.perf_counter() - t, 3)
        result["warmup_samples"] = w
        for count in counts:
            info = timed(count)
            times.append(walls[-1])
    if contender.samples:
        if pair is not None:
            bounds.append(bound_run())
    else:
        for i in range(opts.repeats):
            if pair is not None:
                bounds.append(bound_run())
            if i + 1 < opts.repeats:
                info = timed(counts[0])
                times[0] = min(times[0], walls[-1])
    result["all_wall_s"] = [round(x, 4) for x in walls]
    if bounds:
        result["bound_paired_s"] = round(min(bounds), 4)
        result["all_bound_paired_s"] = [round(x, 4) for x in bounds]
        result["bound_setting"] = f"{pair[0]}/{pair[1]}" if pair else None
    if contender.samples:
        (na, nb), (ta, tb) = counts, times
        slope = max(0.0, (tb - ta) / (nb - na))
        result["wall_s"] = round(tb + (opts.num_samples - nb) * slope, 4)
        result["extrapolated"] = True
        result["measured"] = {str(na): round(ta, 4), str(nb): round(tb, 4)}
        result["seconds_per_sample"] = round(slope, 5)
    else:
        result["wall_s"] = round(times[0], 4)
        result["extrapolated"] = False
    result["samples"] = opts.num_samples
    result.update(info)
    result.update(mem.as_dict())
    if opts.device.startswith("cuda"):
        result["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    if contender.tool == "lime_widget":
        result["rescore"] = _measure_rescore(runner, opts)
    return result


def _measure_rescore(runner: Runner, opts: Options) -> dict[str, Any]:
    """exp.rescore(mask) end to end next to one bare forward pass of a pre-made model input."""
    import torch

    exp = runner.last_explanation
    rng = np.random.default_rng(1)
    mask = rng.random(exp.n_segments) > 0.5
    exp.rescore(mask)
    times = []
    for _ in range(opts.rescore_repeats):
        t = time.perf_counter()
        exp.rescore(mask)
        times.append(time.perf_counter() - t)
    runner._prepare_forward()
    x1 = runner.fwd_inputs["channels_last" if getattr(runner.clf, "channels_last", False) else "contiguous"][:1]
    module = runner.clf.module
    bare = []
    with torch.inference_mode(), _autocast(opts):
        module(x1)
        for _ in range(opts.rescore_repeats):
            t = time.perf_counter()
            module(x1)
            _sync(opts)
            bare.append(time.perf_counter() - t)
    return {
        "rescore_ms": round(1000 * statistics.median(times), 2),
        "bare_forward_ms": round(1000 * statistics.median(bare), 2),
        "repeats": opts.rescore_repeats,
    }


def run_sweep(case: Case, tool: str, candidates: list[int], n: int, opts: Options) -> dict[str, Any]:
    """Images per second of a tool at each batch size (each shape warmed up first)."""
    out: dict[str, float] = {}
    runner = Runner(case, Contender(tool, tool, candidates[0]), opts)
    for bs in candidates:
        runner.contender = Contender(tool, tool, bs)
        runner.run(min(bs, n), opts.seed)
        t = time.perf_counter()
        runner.run(n, opts.seed)
        out[str(bs)] = round(n / (time.perf_counter() - t), 2)
    return {"tool": tool, "samples": n, "img_per_s": out, "best": int(max(out, key=lambda b: out[b]))}


def run_stability(case: Case, tool: str, seeds: list[int], sizes: list[int], opts: Options) -> dict[str, Any]:
    """Top-5 superpixels of the top class for every (samples, seed); plus a same-seed repeat."""
    contender = Contender(tool, tool, None, tool)
    runner = Runner(case, contender, opts)
    out: dict[str, Any] = {"tool": tool, "runs": {}}
    t0 = time.perf_counter()
    for n in sizes:
        out["runs"][str(n)] = [runner.run(n, seed)["top5"] for seed in seeds]
    # Does the same seed give the same answer? (lime's random_seed only seeds its segmentation.)
    again = runner.run(sizes[0], seeds[0])["top5"]
    out["same_seed_repeat_identical"] = again == out["runs"][str(sizes[0])][0]
    out["wall_s"] = round(time.perf_counter() - t0, 2)
    return out


def jaccard_mean(sets: list[list[int]]) -> float:
    vals = []
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            a, b = set(sets[i]), set(sets[j])
            vals.append(len(a & b) / len(a | b) if a | b else 1.0)
    return float(np.mean(vals)) if vals else float("nan")


def available(tool: str) -> str | None:
    """None when the tool can run, else the reason it cannot."""
    mod = {"lime": "lime.lime_image", "captum": "captum.attr"}.get(tool)
    if mod is None:
        return None
    try:
        __import__(mod)
    except ImportError as err:
        return f"{mod.split('.')[0]} is not installed ({err}); pip install 'lime-widget[bench]'"
    return None


def options_dict(opts: Options) -> dict[str, Any]:
    return asdict(opts)
