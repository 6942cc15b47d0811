#!/usr/bin/env python3
"""Seal secrets offline for an environment, or verify the repository's sealed secrets.

    tools/seal.py --env prod --name grafana-admin --from-env-file ~/fks-secrets/grafana.env
    tools/seal.py --env dev --name fks-execution-secrets --from-literal WEBHOOK_SECRET=... --merge
    tools/seal.py --env dev --name grafana-admin --from-env-file ~/dev/grafana.env --replace  # drops other keys
    tools/seal.py --verify [--env prod]
"""
from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
if __name__ == "__main__":  # started as a script, maybe by the system Python: use .venv
    from fks_gitops.venv import use_repository_venv

    use_repository_venv()

from fks_gitops import atomic, environments
from fks_gitops.seal import certs, template
from fks_gitops.seal import inputs as secrets_input  # noqa: E402
from fks_gitops.cli import guarded, repo_from  # noqa: E402
from fks_gitops.errors import GitOpsError  # noqa: E402
from fks_gitops.problem import errors  # noqa: E402
from fks_gitops.seal.codec import SCOPES, add_resource, from_document, load_document, merge, seal, to_yaml  # noqa: E402
from fks_gitops.seal.verify import verify  # noqa: E402

_SEAL_ONLY = ("name", "from_env_file", "from_literal", "from_file", "namespace", "scope", "cert", "type", "merge", "replace",
              "output")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="seal.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--verify", action="store_true", help="check sealed secrets and tracked files offline; exit 1 on problems")
    p.add_argument("--env", action="append", metavar="ENV", help="environment to seal for (with --verify: repeatable)")
    p.add_argument("--name", help="Secret name")
    p.add_argument("--from-env-file", action="append", default=[], metavar="FILE", help="KEY=value lines ('-': stdin)")
    p.add_argument("--from-literal", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--from-file", action="append", default=[], metavar="[KEY=]PATH", help="one key from a file's bytes")
    p.add_argument("--namespace", help="default: the environment's namespace")
    p.add_argument("--scope", choices=SCOPES, help="default: strict, or the existing scope with --merge")
    p.add_argument("--cert", metavar="PEM", help="default: the environment's certificate (certs/<env>.pem)")
    p.add_argument("--type", help="Secret type (default Opaque), e.g. kubernetes.io/tls")
    p.add_argument("--merge", action="store_true", help="add or replace keys in the existing output file")
    p.add_argument("--replace", action="store_true", help="overwrite the existing output file, dropping keys not given")
    p.add_argument("--output", metavar="FILE", help="default: overlays/<env>/sealed-secrets/<name>.yaml; '-': stdout")
    p.add_argument("--repo", metavar="PATH", help="repository root (default: found from the current folder)")
    return p


def _shown(path: Path, repo: Path) -> str:
    real = path.resolve()
    return str(real.relative_to(repo.resolve())) if real.is_relative_to(repo.resolve()) else str(path)


def _kustomization_edit(repo: Path, overlay: str, output: Path) -> tuple[Path, str] | None:
    """The overlay's kustomization with `output` listed, when the output lies in the overlay."""
    folder = (repo / overlay).resolve()
    if not output.resolve().is_relative_to(folder):
        return None
    path = folder / "kustomization.yaml"
    if not path.is_file():
        raise GitOpsError(f"{overlay}/kustomization.yaml not found; create the overlay first")
    entry = output.resolve().relative_to(folder).as_posix()
    text = add_resource(path.read_text(), entry, f"{overlay}/kustomization.yaml")
    return (path, text) if text is not None else None


def _write_both(output: Path, text: str, edit: tuple[Path, str] | None) -> None:
    """The sealed file and the kustomization listing it, both or neither: a file left behind
    unlisted would look sealed and never deploy."""
    previous = output.read_bytes() if output.is_file() else None
    new_folder = not output.parent.exists()
    atomic.write(output, text)
    if not edit:
        return
    try:
        atomic.write(*edit)
    except BaseException:
        if previous is not None:
            atomic.write(output, previous)
        else:
            output.unlink(missing_ok=True)
            if new_folder:
                with contextlib.suppress(OSError):  # only if empty; never more than we made
                    output.parent.rmdir()
        raise


def _refuse_undeclared(repo: Path, name: str, values: dict[str, bytes]) -> None:
    """Only what secrets.template.yaml declares is sealed: validate refuses anything else."""
    declared = template.load(repo)
    if declared is None:
        return
    if name not in declared:
        raise GitOpsError(f"--name {name!r} is not in {template.FILE}; declare it there with its keys first")
    extra = sorted(set(values) - declared[name])
    if extra:
        raise GitOpsError(f"key(s) {', '.join(extra)} of {name!r} are not in {template.FILE}; declare them there first")


def _refuse_dropping(text: str, values: dict[str, bytes], where: str) -> None:
    """A seal without --merge rewrites the file: say which keys it would lose, unless --replace."""
    dropped = sorted(set(from_document(load_document(text, where)).encrypted) - set(values))
    if dropped:
        raise GitOpsError(f"{where} holds {', '.join(dropped)}, which this seal would drop; "
                          "add --merge to keep them, or --replace to drop them")


def _seal(repo: Path, args: argparse.Namespace) -> int:
    if not args.env or len(args.env) != 1 or not args.name:
        raise GitOpsError("sealing needs exactly one --env and a --name (or use --verify)")
    env = environments.load(repo).get(args.env[0])
    cert = certs.load(Path(args.cert) if args.cert else repo / env.certificate,
                      args.cert or env.certificate)
    output = None if args.output == "-" else Path(args.output or repo / env.overlay / "sealed-secrets" / f"{args.name}.yaml")
    existing, scope, kind = None, args.scope or "strict", args.type or "Opaque"
    if args.merge and args.replace:
        raise GitOpsError("--merge keeps the other keys and --replace drops them; give one")
    if args.merge:
        if output is None:
            raise GitOpsError("--merge needs a file to merge into; it cannot be used with --output -")
        if not output.is_file():
            raise GitOpsError(f"--merge: {_shown(output, repo)} does not exist; drop --merge to create it")
        existing = output.read_text()
        old = from_document(load_document(existing, _shown(output, repo)))
        scope, kind = args.scope or old.scope, args.type or old.type
    if scope not in env.scopes:
        raise GitOpsError(f"--scope {scope}: environments.yaml allows only {', '.join(env.scopes)} in {env.name}")
    edit = _kustomization_edit(repo, env.overlay, output) if output else None
    values = secrets_input.collect(repo, args.from_env_file, args.from_literal, args.from_file)
    _refuse_undeclared(repo, args.name, values)
    if existing is None and output is not None and output.is_file() and not args.replace:
        _refuse_dropping(output.read_text(), values, _shown(output, repo))
    sealed = seal(cert, args.name, args.namespace or env.namespace, values, scope, kind)
    if existing is not None:
        text = merge(existing, sealed, _shown(output, repo), set_type=args.type is not None)
    else:
        text = to_yaml(sealed)
    if output is None:
        sys.stdout.write(text)
    else:
        _write_both(output, text, edit)
    target = "stdout" if output is None else _shown(output, repo)
    print(f"sealed {len(values)} key(s) of {sealed.namespace}/{sealed.name} ({scope}) into {target} "
          f"with {cert.fingerprint[:19]}...", file=sys.stderr)
    return 0


def _verify(repo: Path, args: argparse.Namespace) -> int:
    extra = [f"--{o.replace('_', '-')}" for o in _SEAL_ONLY if getattr(args, o) not in (None, False, [])]
    if extra:
        raise GitOpsError(f"--verify takes only --env and --repo, not {', '.join(extra)}")
    problems = verify(repo, args.env)  # merged and in report order
    for problem in problems:
        print(problem)
    failed = errors(problems)
    print(f"seal --verify: {len(failed)} error(s), {len(problems) - len(failed)} warning(s)", file=sys.stderr)
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    def body() -> int:
        args = _parser().parse_args(argv)
        return (_verify if args.verify else _seal)(repo_from(args.repo), args)

    return guarded(body)


if __name__ == "__main__":
    sys.exit(main())
