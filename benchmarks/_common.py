"""Shared benchmark tools: pinned threads, median timings, markdown tables, JSON results."""

from __future__ import annotations

import contextlib
import json
import platform
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@contextlib.contextmanager
def pinned_threads(n: int = 1) -> Iterator[None]:
    """Limit BLAS / OpenMP (and OpenCV, PyTorch where present) to ``n`` threads."""
    from threadpoolctl import threadpool_limits

    restore: list[Callable[[], None]] = []
    try:
        import cv2

        old = cv2.getNumThreads()
        cv2.setNumThreads(n)
        restore.append(lambda: cv2.setNumThreads(old))
    except ImportError:
        pass
    try:
        import torch

        old_t = torch.get_num_threads()
        torch.set_num_threads(n)
        restore.append(lambda: torch.set_num_threads(old_t))
    except ImportError:
        pass
    with threadpool_limits(limits=n):
        try:
            yield
        finally:
            for undo in restore:
                undo()


#: the clock of the single-threaded comparisons: CPU time of the calling thread. Inside
#: ``pinned_threads(1)`` every method (lacv, OpenCV, scikit-image, Kornia) runs in this
#: thread, so this is its run time without the time the shared machine's scheduler gave to
#: other processes (wall-clock ratios moved by up to 40 % between runs under load; a method
#: that ran work in other threads anyway would only look faster by it)
thread_clock = time.thread_time


def time_call(fn: Callable[[], Any], *, repeats: int = 7, min_time: float = 0.05,
              warmup: int = 1, clock: Callable[[], float] = time.perf_counter) -> float:
    """Median time of ``fn()`` in seconds over ``repeats`` runs (wall time by default).

    Each run loops ``fn`` enough times to last at least ``min_time`` seconds,
    so sub-millisecond calls are timed without timer noise. ``clock`` is
    ``time.perf_counter`` (wall) or :data:`thread_clock`.
    """
    for _ in range(warmup):
        fn()
    t0 = clock()
    fn()
    once = max(clock() - t0, 1e-7)
    loops = max(1, int(min_time / once))
    samples = []
    for _ in range(repeats):
        t0 = clock()
        for _ in range(loops):
            fn()
        samples.append((clock() - t0) / loops)
    return float(np.median(samples))


def ranked_scores(is_inlier: np.ndarray, seed: int) -> np.ndarray:
    """Match qualities for the ranked-matches (PROSAC) blocks: N(1, 1) for inliers, N(0, 1) else.

    A moderately informative ranking, like a descriptor ratio's; seeded per scene.
    """
    rng = np.random.default_rng(seed)
    n = is_inlier.size
    return np.where(is_inlier, rng.normal(1.0, 1.0, n), rng.normal(0.0, 1.0, n))


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured markdown table; floats are formatted compactly."""

    def fmt(v: Any) -> str:
        if isinstance(v, float):
            if not np.isfinite(v):
                return "—"
            if v == 0 or 1e-3 <= abs(v) < 1e5:
                return f"{v:.4g}"
            return f"{v:.3e}"
        return str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def machine_info() -> dict[str, Any]:
    import numpy

    info: dict[str, Any] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "numpy": numpy.__version__,
    }
    with contextlib.suppress(ImportError):
        import cv2

        info["opencv"] = cv2.__version__
    with contextlib.suppress(ImportError):
        import torch

        info["torch"] = torch.__version__
    return info


def save_results(name: str, data: Any) -> Path:
    """Save ``data`` as ``benchmarks/results/<name>.json``."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {"benchmark": name, "machine": machine_info(), "results": data}
    path.write_text(json.dumps(payload, indent=2, default=_default) + "\n")
    return path


def _default(o: Any) -> Any:
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, np.generic):
        return o.item()
    return str(o)
