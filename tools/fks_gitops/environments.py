"""The environment chain, read from `environments.yaml`.

    config = load(repo)
    prod = config.get("prod")
    config.previous(prod).name  # "staging"
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fks_gitops import cli, environments_schema, environments_verify, textfile, yamlload
from fks_gitops.promote import exchange
from fks_gitops.errors import GitOpsError

FILE = cli.CONFIG
SCOPES = ("strict", "namespace-wide", "cluster-wide")
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


@dataclass(frozen=True)
class Adhoc:
    """An ad-hoc freeze window, in the freeze's time zone."""

    start: dt.datetime
    end: dt.datetime
    reason: str


@dataclass(frozen=True)
class Freeze:
    timezone: str = "UTC"
    days: tuple[str, ...] = ()
    open: dt.time | None = None
    close: dt.time | None = None
    calendar: str | None = None  # an exchange calendar of the `holidays` package, e.g. NYSE
    adhoc: tuple[Adhoc, ...] = ()


@dataclass(frozen=True)
class Sessions:
    """`soak: {sessions: 2, calendar: NYSE}`: completed regular sessions instead of hours."""

    count: int
    calendar: str = "NYSE"  # the exchange whose hours prod's freeze follows


@dataclass(frozen=True)
class Environment:
    name: str
    order: int
    namespace: str
    kubernetes: str
    application: str
    certificate: str
    soak: dt.timedelta  # zero when the soak counts sessions
    freeze: Freeze | None
    scopes: tuple[str, ...] = SCOPES  # the Sealed Secrets scopes its secrets may be sealed in
    sessions: Sessions | None = None
    verify: environments_verify.Verify | None = None  # its Prometheus and checks

    @property
    def overlay(self) -> str:
        return f"overlays/{self.name}"


@dataclass(frozen=True)
class ParityRule:
    kind: str
    name: str
    path: str


@dataclass(frozen=True)
class Config:
    repo: Path
    repository: str
    revision: str
    project: str
    environments: tuple[Environment, ...]
    parity: tuple[ParityRule, ...]
    schema_allow: dict[str, str] = field(default_factory=dict)  # kind -> why it has no schema
    audit_since: str = ""  # a commit or a date: where the promotion audit starts (audit.py)
    audit_accepted: dict[str, str] = field(default_factory=dict)  # commit -> why its findings stand
    images: dict[str, tuple[str, ...]] = field(default_factory=dict)  # component -> allowed repositories
    argocd_version: str = ""  # the Argo CD that renders the overlays, e.g. "v3.3"
    platform_namespaces: tuple[str, ...] = ()  # the cluster's own (ingress-nginx, kube-system, ...)

    def get(self, name: str) -> Environment:
        for env in self.environments:
            if env.name == name:
                return env
        known = ", ".join(e.name for e in self.environments)
        raise GitOpsError(f"{FILE}: unknown environment {name!r}; known: {known}")

    def previous(self, env: Environment) -> Environment | None:
        return self.environments[env.order - 1] if env.order > 0 else None

    def select(self, names: list[str] | None) -> list[Environment]:
        """The named environments in chain order, each once; all of them when none is named."""
        if not names:
            return list(self.environments)
        wanted = {self.get(n).name for n in names}
        return [e for e in self.environments if e.name in wanted]


def parse_duration(text: str, where: str) -> dt.timedelta:
    """`24h`, `1d12h`, `90m`, `10s`, `0h` -> timedelta."""
    match = _DURATION.match(str(text).strip())
    if not match or not any(match.groups()):
        raise GitOpsError(f"{where}: duration {text!r} is not like '24h', '1d12h', '90m' or '10s'")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def _sessions(raw: dict, where: str) -> Sessions:
    calendar = raw.get("calendar", Sessions.calendar)
    if calendar not in exchange.REGULAR_HOURS:
        known = ", ".join(exchange.REGULAR_HOURS)
        raise GitOpsError(f"{where}.calendar: no regular session hours known for {calendar!r}; use one of {known}")
    return Sessions(int(raw["sessions"]), calendar)


def _time(text: str, where: str) -> dt.time:
    try:
        return dt.time.fromisoformat(str(text))
    except ValueError:
        raise GitOpsError(f"{where}: time {text!r} is not HH:MM") from None


def _moment(text: str, tz: ZoneInfo, where: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise GitOpsError(f"{where}: {text!r} is not a date and time like 2026-12-30T00:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _adhoc(raw: dict, tz: ZoneInfo, where: str) -> Adhoc:
    start, end = _moment(raw["from"], tz, f"{where}.from"), _moment(raw["to"], tz, f"{where}.to")
    if end <= start:
        raise GitOpsError(f"{where}: 'to' {raw['to']!r} is not after 'from' {raw['from']!r}")
    return Adhoc(start, end, raw.get("reason") or "unnamed")


def _calendar(name: str | None, where: str) -> str | None:
    if name is not None and not exchange.known(name):
        raise GitOpsError(f"{where}: {name!r} is not a financial calendar of the holidays package; use one like NYSE")
    return name


def _freeze(raw: dict | None, where: str) -> Freeze | None:
    if not raw:
        return None
    hours = raw.get("market_hours") or {}
    try:
        tz = ZoneInfo(raw["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise GitOpsError(f"{where}.timezone: {raw['timezone']!r} is not a time zone; use a name like America/New_York") from None
    return Freeze(
        timezone=raw["timezone"],
        days=tuple(hours.get("days", ())),
        open=_time(hours["open"], f"{where}.market_hours.open") if "open" in hours else None,
        close=_time(hours["close"], f"{where}.market_hours.close") if "close" in hours else None,
        calendar=_calendar(raw.get("calendar"), f"{where}.calendar"),
        adhoc=tuple(_adhoc(w, tz, f"{where}.adhoc[{i}]") for i, w in enumerate(raw.get("adhoc") or ())),
    )


def _verify(raw: dict | None, deploy_checks: tuple, where: str) -> environments_verify.Verify | None:
    timeout = parse_duration((raw or {}).get("timeout", "10s"), f"{where}.timeout").total_seconds()
    if not 0 < timeout <= 300:
        raise GitOpsError(f"{where}.timeout: {raw['timeout']!r} is not between 1s and 5m")
    return environments_verify.parse(raw, deploy_checks, where, timeout)


def _environment(raw: dict, order: int, deploy_checks: tuple) -> Environment:
    where = f"{FILE}: environments[{order}]"  # required fields: environments_schema checked them
    soak = raw.get("soak", "0h")
    return Environment(
        name=raw["name"],
        order=order,
        namespace=raw["namespace"],
        kubernetes=str(raw["kubernetes"]),
        application=raw["application"],
        certificate=raw.get("certificate", f"certs/{raw['name']}.pem"),
        soak=dt.timedelta(0) if isinstance(soak, dict) else parse_duration(soak, f"{where}.soak"),
        freeze=_freeze(raw.get("freeze"), f"{where}.freeze"),
        scopes=tuple(raw.get("scopes") or SCOPES),
        sessions=_sessions(soak, f"{where}.soak") if isinstance(soak, dict) else None,
        verify=_verify(raw.get("verify"), deploy_checks, f"{where}.verify"),
    )


def load(repo: Path) -> Config:
    path = repo / FILE
    try:
        # Every scalar stays a string, as the schema expects (no dates, no floats); a key given
        # twice is an error, since PyYAML would keep the last (`soak: 0h` under `soak: 24h`).
        raw = yamlload.load_strings(textfile.read(path, FILE), FILE) or {}
    except FileNotFoundError:
        raise GitOpsError(f"{path}: not found; run inside the repository or pass --repo") from None
    environments_schema.check(raw, FILE)
    deploy_checks = environments_verify.checks(raw.get("deploy_checks") or (), environments_verify.DEPLOY_PLACEHOLDERS,
                                               f"{FILE}: deploy_checks")
    envs = tuple(_environment(e, i, deploy_checks) for i, e in enumerate(raw["environments"]))
    names = [e.name for e in envs]
    if len(set(names)) != len(names):
        raise GitOpsError(f"{FILE}: environment names repeat: {', '.join(names)}")
    return Config(
        repo=repo,
        repository=raw.get("repository", ""),
        revision=raw.get("revision", "main"),
        project=raw.get("argocd_project", ""),
        environments=envs,
        parity=tuple(ParityRule(r["kind"], r.get("name", "*"), r["path"]) for r in raw.get("parity") or ()),
        schema_allow=dict(raw.get("schema_allow") or {}),
        audit_since=(raw.get("audit") or {}).get("since", ""),
        audit_accepted={a["commit"]: a["reason"] for a in (raw.get("audit") or {}).get("accepted") or ()},
        images={component: tuple(repos) for component, repos in (raw.get("images") or {}).items()},
        argocd_version=raw.get("argocd_version", ""),
        platform_namespaces=tuple(raw.get("platform_namespaces") or ()),
    )


def find_repo(start: Path | None = None) -> Path:
    """The nearest folder at or above `start` that holds environments.yaml."""
    return cli.find_repo(start)
