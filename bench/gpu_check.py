"""`make gpu-check`: the GPU path on a CUDA machine, in one command, and one table of what it measured.

    no CUDA device     says so and exits 0 (nothing fails on a CPU-only machine)
    a CUDA device      1. pytest -m gpu          the tests marked `gpu` (skipped everywhere else)
                       2. python -m bench.finetune --device cuda --rounds 1
                                                 our engine against the Trainer recipe, on the GPU
                       → the device, its compute dtype (bf16 where supported, else fp16), each step's
                         outcome and the fine-tune figures; exits 1 when a step failed

    python -m bench.gpu_check [--steps N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from bench.server import ROOT


def _run(command: list[str]) -> tuple[int, str, str, float]:
    started = time.perf_counter()
    output = subprocess.run(command, cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")},
                            capture_output=True, text=True)
    return output.returncode, output.stdout, output.stderr, time.perf_counter() - started


def table(rows: list[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in rows)
    value_width = max(len(value) for _, value in rows)
    line = "+-" + "-" * width + "-+-" + "-" * value_width + "-+"
    body = [f"| {name.ljust(width)} | {value.ljust(value_width)} |" for name, value in rows]
    return "\n".join([line, *body, line])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        print(f"gpu-check: no CUDA device on this machine (torch {torch.__version__}); nothing to check. "
              "Run `make gpu-check` on a machine with an NVIDIA GPU and a CUDA build of torch.")
        return 0
    from playground import models

    dtype = str(models.compute_dtype_for("cuda")).removeprefix("torch.")
    rows = [("device", f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}, CUDA {torch.version.cuda}"),
            ("compute dtype", dtype)]
    failed = False

    code, output, errors, seconds = _run([sys.executable, "-m", "pytest", "-q", "-m", "gpu", "-p", "no:cacheprovider"])
    summary = next((line for line in reversed(output.strip().splitlines()) if line.strip()), "no output")
    rows.append(("pytest -m gpu", f"{'ok' if code in (0, 5) else 'FAILED'}: {summary} ({seconds:.0f} s)"))
    failed |= code not in (0, 5)  # 5: no test collected
    if code not in (0, 5):
        print((output + errors)[-6000:])

    code, output, errors, seconds = _run([sys.executable, "-m", "bench.finetune", "--device", "cuda", "--rounds", "1",
                                  "--steps", str(args.steps)])
    if code != 0:
        failed = True
        rows.append(("bench.finetune --device cuda", f"FAILED ({seconds:.0f} s)"))
        print((output + errors)[-6000:])
    else:
        measured = json.loads(output[output.index("{"):output.rindex("}") + 1])
        recipe = measured["recipe"]["tokens_per_s"]
        for side, run in measured.items():
            rows.append((f"fine-tune {side} ({args.steps} steps)",
                         f"{run['tokens_per_s']:.0f} tokens/s (×{run['tokens_per_s'] / recipe:.2f} the recipe), "
                         f"{run['wall_s']:.1f} s, peak {run['peak_memory_bytes'] / 2**20:.0f} MiB, "
                         f"final loss {run['final_loss']:.3f}"))
    print(table(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
