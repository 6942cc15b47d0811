"""The deploy checklist: an environment's post-deploy checks (environments.yaml's deploy_checks,
then its own `verify.deploy`) against its Prometheus, the way operators went through them by
hand after every deploy.

    outcome = checklist(config.get("staging"), now)       # verify.Outcome: one Result per check
    outcome = wait(config.get("prod"), timedelta(minutes=10), now)   # polls until all pass or time is up
    rollback_command(promotion)    # "tools/promote.py --to prod --rollback --component fks-execution --push"
    report(outcome, "deploy checklist")   # the lines the command line prints
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from fks_gitops.environments import Environment
from fks_gitops.environments_verify import Verify, fill
from fks_gitops.errors import GitOpsError
from fks_gitops.promote import verify
from fks_gitops.promote.promotion import Promotion

POLL = 15.0  # seconds between two runs of --wait-verified: the scrape interval, nothing changes faster


def spec(env: Environment) -> Verify:
    """The environment's verify: block, or a usage error saying how to give it one."""
    if env.verify is None:
        raise GitOpsError(f"{env.name} has no verify: block in environments.yaml; give it its Prometheus "
                          f"(verify: {{prometheus: URL}}) to check its deploys")
    return env.verify


def checklist(env: Environment, now: dt.datetime) -> verify.Outcome:
    values = {"namespace": env.namespace, "application": env.application}
    items = [verify.Item(c.name, fill(c.query, values), c.expect) for c in spec(env).deploy]
    return verify.run(env.name, env.verify, items, now)


def wait(env: Environment, duration: dt.timedelta, now: dt.datetime, poll: float = POLL,
         clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> verify.Outcome:
    """The checklist again and again, each at `now` plus the time spent waiting, until it passes
    or `duration` is over; the last outcome either way."""
    start = clock()
    while True:
        spent = clock() - start
        outcome = checklist(env, now + dt.timedelta(seconds=spent))
        left = duration.total_seconds() - (clock() - start)
        if outcome.passed or left <= 0:
            return outcome
        sleep(min(poll, left))


def rollback_command(promotion: Promotion) -> str:
    components = " ".join(f"--component {c.new.component}" for c in promotion.changes)
    return f"tools/promote.py --to {promotion.target} --rollback {components} --push"


def report(outcome: verify.Outcome, what: str) -> list[str]:
    """The checklist as text: a header, `ok`/`FAIL` per check with what it returned, a summary."""
    when = outcome.at.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    lines = [f"{outcome.env}: {what} against {outcome.url} at {when}"]
    if outcome.unreachable:
        return [*lines, f"  FAIL  {outcome.unreachable}"]
    lines += [f"  {'ok  ' if r.passed else 'FAIL'}  {r.line}" for r in outcome.results]
    failed = len(outcome.failures)
    return [*lines, f"{failed} of {len(outcome.results)} checks failed" if failed else
            f"all {len(outcome.results)} checks passed"]
