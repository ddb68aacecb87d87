"""python -m playground.export RUN_DIR --format FORMAT --out PATH [--push-to OWNER/NAME [--public]]

Writes the export to PATH (a new or empty folder) and prints its size, the time it took and how to run it.
--push-to uploads the folder to the Hub with the token in the HF_TOKEN environment variable (never a flag,
so it stays out of shell history and process lists); a private repo unless --public.
"""

from __future__ import annotations

import argparse
import os
import sys

from playground.export import hub
from playground.export.exporter import FORMATS, export_run, mib
from playground.i18n import t


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m playground.export", description=str(t("export.cli.description")))
    parser.add_argument("run_dir", metavar="RUN_DIR", help=str(t("export.cli.run_dir")))
    parser.add_argument("--format", required=True, choices=FORMATS, help=str(t("export.cli.format")))
    parser.add_argument("--out", required=True, help=str(t("export.cli.out")))
    parser.add_argument("--push-to", metavar="OWNER/NAME", help=str(t("export.cli.push_to")))
    parser.add_argument("--public", action="store_true", help=str(t("export.cli.public")))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.push_to:
            hub.check_push(args.push_to, os.environ.get("HF_TOKEN", ""))  # before the work, not after
        result = export_run(args.run_dir, args.format, args.out,
                            progress=lambda fraction, message: print(f"{fraction:4.0%} {message}", flush=True))
        print(t("export.cli.done", format=result.format, folder=str(result.folder), size=mib(result.size_bytes),
                seconds=f"{result.seconds:.1f}"))
        for path in result.files:
            print(f"  {path.name}  {mib(path.stat().st_size)}")
        print()
        print(result.how_to_run)
        if args.push_to:
            url = hub.push(result.folder, args.push_to, os.environ.get("HF_TOKEN", ""), private=not args.public)
            print(t("export.pushed", url=url))
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
