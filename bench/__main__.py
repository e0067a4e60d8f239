"""`python -m bench [--quick]`: run every benchmark module and print a summary table."""

from __future__ import annotations

import argparse
import sys

from bench import Result, format_table, modules


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a smoke test")
    args = parser.parse_args(argv)
    results: list[Result] = []
    for module in modules():
        print(f"running {module.__name__} ...", file=sys.stderr, flush=True)
        result = module.run(quick=args.quick)
        for note in result.notes:
            print(f"  {note}", file=sys.stderr)
        results.append(result)
    print(format_table(results))
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
