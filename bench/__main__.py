"""Run the benchmarks and print one table.

    python -m bench                 # everything (about 10 minutes on 2 cores)
    python -m bench quant startup   # only these
    python -m bench --quick         # smaller sizes, for a smoke run

Each module in this folder exposes rows(quick) -> [(benchmark, measure, value)]; ratios inside a
row are always measured in the same run.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

BENCHMARKS = ["quant", "adapters", "finetune", "experiments", "startup", "load_test"]


def machine() -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{os.cpu_count()} cores ({cpu}), {gpu}, torch {torch.__version__}, Python {platform.python_version()}"


def print_table(rows: list[tuple[str, str, str]]) -> None:
    headers = ("benchmark", "measure", "value")
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(3)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    print(line(headers))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="PEFT Playground benchmarks")
    parser.add_argument("names", nargs="*", choices=[[], *BENCHMARKS], default=[], metavar="NAME",
                        help=f"which to run (default all): {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args(argv)
    rows: list[tuple[str, str, str]] = []
    for name in args.names or BENCHMARKS:
        start = time.monotonic()
        module = importlib.import_module(f"bench.{name}")
        rows.extend(module.rows(quick=args.quick))
        print(f"[{name} done in {time.monotonic() - start:.0f} s]", flush=True)
    print(f"\nMachine: {machine()}\n")
    print_table(rows)


if __name__ == "__main__":
    main()
