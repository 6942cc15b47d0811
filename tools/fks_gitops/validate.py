"""Render every environment and run every check over it.

    report = validate(repo)                                      # all environments
    report = validate(repo, ["prod"], rendered={"prod": docs})   # reuse a render
    errors(report.problems)

Renders start first and run in parallel; each environment's checks start as soon as its own
render is done, so kustomize, promtool and the Python checks overlap on every core.
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path

from fks_gitops import envcache, environments, policy_engine, render, runcache
from fks_gitops.checks.context import FILES, ENVIRONMENT, REPOSITORY, EnvContext, RepoContext, Session
from fks_gitops.environments import Environment
from fks_gitops.errors import GitOpsError
from fks_gitops.problem import Location, Problem, merge
from fks_gitops.report import Report
from fks_gitops.sourcemap import SourceMap


def validate(
    repo: Path,
    envs: Sequence[str] | None = None,
    rendered: dict[str, list[dict]] | None = None,
    schema_locations: Sequence[Path] = (),
    skip: Sequence[str] = (),
    only: Sequence[str] = (),
    seen: runcache.Seen | None = None,
) -> Report:
    """`only` / `skip`: check IDs (checks/registry.py) to run alone / to leave out. `seen`: what
    runcache's probe read of the repository moments before (git's file list and history, each
    file's digest), read once instead of twice."""
    started = time.perf_counter()
    config = environments.load(repo)
    selected = config.select(list(envs) if envs else None)
    known = {config.get(name).overlay: docs for name, docs in (rendered or {}).items()}
    locations = tuple(Path(p) for p in schema_locations)
    for folder in locations:
        if not folder.is_dir():
            raise GitOpsError(f"--schema-location {folder}: not a folder")
    problems: list[Problem] = []
    docs: dict[str, list[dict]] = {}
    renderer = render.renderer()  # found once, before threads race to find it
    only, skip = tuple(only), tuple(skip)
    fresh = [e.overlay for e in selected if e.overlay not in known]
    # every file read once: the cache's keys and the file scans share it
    contents = envcache.Contents(repo, seen.digests if seen else None)
    cache = envcache.Run(repo, fresh, renderer.version, [repr((only, skip)), *(
        f"{p}\0{runcache.folder_digest(p)}" for p in locations)], contents, seen.git if seen else None)
    # Two pools: checks wait on renders, never the other way round, so neither can starve. The
    # cache is closed first, so a warm-up waiting on its lookups never outlives a failed run.
    # Four check threads: the checks share one GIL, and more threads only switched more (a
    # re-validate took about 10 ms longer with eight; the cache-off run no less).
    with ThreadPoolExecutor(max_workers=4) as render_pool, ThreadPoolExecutor(max_workers=4) as check_pool, \
            contextlib.closing(cache):
        session = Session()
        session.once("contents", lambda: contents)
        if seen:
            session.once("files", lambda: list(seen.files))
        # kustomize reads only what git holds (render_inputs.py): the file list comes first.
        renders = render.Renders(repo, render_pool, known, files=lambda: whole.file_set(), render=cache.render)
        whole = RepoContext(config, docs, renders, tuple(e.name for e in selected), session)
        pending = {renders.start(e.overlay): e for e in selected}
        checked: dict[str, list[Future]] = {}
        from fks_gitops import checks  # imported while kustomize runs

        def wanted(scope: str) -> list:
            return checks.selected(scope, only, skip)

        # The warm-ups first: they wait until every key is looked up, and what they load is what
        # the first rendered environment's checks need next.
        if len(known) < len(selected):  # a head start pays only while kustomize runs
            for work in checks.warm_ups(config, session, wanted(ENVIRONMENT) + wanted(REPOSITORY)):
                check_pool.submit(_warm_up, work, cache)
        cache.launched({e.overlay: f for f, e in pending.items()})  # the checks below compete with what starts kustomize
        futures: list[Future] = [check_pool.submit(_remembered, _run, c, whole, cache) for c in wanted(FILES)]
        if any(cache.whole(c, whole).problems is None for c in wanted(REPOSITORY)):  # else none reads them
            for path in checks.extra_renders(whole):
                renders.start(path)
        for future in as_completed(pending):
            env = pending[future]
            try:
                env_docs, sources = future.result()
            except render.RenderError as exc:
                problems += [replace(p, environments=(env.name,)) for p in exc.problems()]
                continue
            docs[env.name] = env_docs
            if env.overlay in cache.reused:
                problems += cache.reused[env.overlay]
                continue
            ctx = EnvContext(config, env, env_docs, locations, session)
            checked[env.overlay] = [check_pool.submit(_run_env, c, ctx, sources, cache) for c in wanted(ENVIRONMENT)]
        futures += [check_pool.submit(_remembered, _run_whole, c, whole, cache) for c in wanted(REPOSITORY)]
        for future in futures:
            problems += future.result()
        for overlay, found in checked.items():
            env_problems = [p for f in found for p in f.result()]
            cache.store(overlay, env_problems)
            problems += env_problems
    notes = []
    if only and "parity" not in only:
        pass
    elif len(selected) < 2:
        notes.append("parity not compared: it needs two environments (run without --env)")
    elif len(docs) < len(selected):
        missing = ", ".join(e.name for e in selected if e.name not in docs)
        notes.append(f"parity not compared for {missing}: it did not render")
    return Report(
        environments=[e.name for e in selected],
        objects=sum(len(d) for d in docs.values()),
        problems=merge(problems, [e.name for e in config.environments]),
        seconds=time.perf_counter() - started,
        renderer=renderer.version,
        notes=notes,
        policy_engine=policy_engine.engine() if checks.POLICIES in checks.selected(ENVIRONMENT, only, skip) else None,
        rendered=docs,
        reused=[e.name for e in selected if e.overlay in cache.reused],
        read=contents.digests(),
        reached={e.overlay: cache.inputs[e.overlay] for e in selected if e.name in docs and e.overlay in cache.inputs},
        renderer_argv=renderer.argv,
    )


def _run(name: str, check: Callable, ctx: object) -> list[Problem]:
    try:
        return check(ctx)
    except GitOpsError:
        raise
    except Exception as exc:  # malformed input can trip a check; say which, keep the others' results
        message = f"check {name!r} failed: {type(exc).__name__}: {exc}; fix the schema errors first, else report a bug"
        where = f"{ctx.env.overlay}/kustomization.yaml" if isinstance(ctx, EnvContext) else environments.FILE
        return [Problem("validate.check-failed", "error", message, location=Location(where))]


def _remembered(run: Callable, check, ctx: RepoContext, cache: envcache.Run) -> list[Problem]:
    """A whole-repository check's problems, remembered while nothing it can read changes."""
    entry = cache.whole(check, ctx)
    if entry.problems is not None:
        return entry.problems
    found = run(check.ID, check.run, ctx)
    entry.store(found)
    return found


def _run_env(check, ctx: EnvContext, sources: SourceMap, cache: envcache.Run) -> list[Problem]:
    """One environment's check, each problem at the line to edit and tagged with the environment.
    A per-object check reuses each unchanged object's problems, one that names the kinds it reads
    reuses its problems while those objects are unchanged; both are placed anew (the lines are
    the source files')."""
    found = cache.per_object(check, ctx, lambda doc: _run(check.ID, check.run, replace(ctx, docs=[doc])))
    if found is None:
        entry = cache.objects(check, ctx)
        found = entry.problems
        if found is None:
            found = _run(check.ID, check.run, ctx)
            entry.store(found)
    return [_placed(p, ctx.env, sources) for p in found]


def _run_whole(name: str, check: Callable, ctx: RepoContext) -> list[Problem]:
    """A whole-repository check; a problem it found in one environment's render (parity) is
    located through that environment's source map."""
    found = []
    for p in _run(name, check, ctx):
        if p.location is None and p.environments:
            env = ctx.config.get(p.environments[0])
            p = _placed(p, env, ctx.renders.sources(env.overlay))
        found.append(p)
    return found


def _placed(p: Problem, env: Environment, sources: SourceMap) -> Problem:
    location = p.location
    if location is None and p.object is not None:
        location = sources.locate(p.object, p.pointer)
    if location is None:  # no object, or one kustomize made from no file: the overlay
        location = Location(f"{env.overlay}/kustomization.yaml")
    return replace(p, location=location, environments=p.environments or (env.name,))


def _warm_up(work: Callable[[], object], cache: envcache.Run) -> None:
    """Results land in the checks' own caches; what counts is each environment's check (none
    when every environment is reused)."""
    try:
        if cache.fresh():
            work()
    except Exception:  # noqa: BLE001 - the environment's own check reports any failure
        pass

