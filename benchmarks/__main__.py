"""Run the benchmarks: ``python -m benchmarks [--only NAME ...] [--quick]``.

Each ``benchmarks/bench_<name>.py`` defines ``main(quick: bool) -> None``,
which prints markdown tables comparing lacv with its peers in the same run and
saves its figures with ``_common.save_results``.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time
from pathlib import Path


def available() -> list[str]:
    here = Path(__file__).resolve().parent
    return sorted(m.name[len("bench_"):] for m in pkgutil.iter_modules([str(here)])
                  if m.name.startswith("bench_"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", nargs="*", default=None, help=f"any of {available()}")
    parser.add_argument("--quick", action="store_true", help="fewer scenes and repeats")
    args = parser.parse_args(argv)
    names = args.only or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; available: {available()}")
    for name in names:
        print(f"\n# Benchmark: {name}\n", flush=True)
        t0 = time.perf_counter()
        importlib.import_module(f"benchmarks.bench_{name}").main(quick=args.quick)
        print(f"\n({name}: {time.perf_counter() - t0:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
