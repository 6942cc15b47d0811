#!/usr/bin/env python3
"""How long the strict schema check takes per document (a benchmark, not a test).

    .venv/bin/python bench/schemas.py                      # overlays/prod, 200 copies
    .venv/bin/python bench/schemas.py --overlay overlays/dev --copies 1000

Renders the overlay once with kustomize (or, before the overlays exist, reads the test
fixtures), then checks N copies of its documents: once cold (compiling every validator) and
then warm, the steady state that `validate` sees after its first environment.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))

from fks_gitops.checks import schemas  # noqa: E402
from fks_gitops.render import parse, render  # noqa: E402

FALLBACK = REPO / "tests" / "fixtures" / "schemas" / "valid"


def documents(overlay: str) -> tuple[str, list[dict]]:
    folder = REPO / overlay
    if (folder / "kustomization.yaml").is_file():
        return overlay, render(folder, overlay)
    docs = [d for f in sorted(FALLBACK.glob("*.yaml")) for d in parse(f.read_text(), str(f))]
    return f"{FALLBACK.relative_to(REPO)} ({overlay} not found)", docs


def timed(docs: list[dict], kubernetes: str) -> tuple[float, int]:
    start = time.perf_counter()
    problems = schemas.check(docs, "bench", kubernetes)
    return time.perf_counter() - start, len(problems)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--overlay", default="overlays/prod")
    parser.add_argument("--copies", type=int, default=200)
    parser.add_argument("--kubernetes", default="1.31")
    args = parser.parse_args(argv)

    source, docs = documents(args.overlay)
    cold, _ = timed(docs, args.kubernetes)
    batch = docs * args.copies
    warm, problems = min(timed(batch, args.kubernetes) for _ in range(3))
    print(f"source: {source}, {len(docs)} documents, Kubernetes {schemas.bundled_version(args.kubernetes)}")
    print(f"cold (compile validators): {cold * 1000:.1f} ms for {len(docs)} documents")
    print(f"warm: {warm * 1000 / len(batch):.4f} ms per document "
          f"({len(batch)} documents in {warm * 1000:.1f} ms, {problems} problems)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
