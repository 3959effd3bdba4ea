"""``.ingress2gw.yaml``: defaults for the command-line options and the ``ignore:`` list of accepted findings.

Found by walking up from the first input path (the current directory for stdin) to the repository root (the
first directory with ``.git``), or given with ``--config``.
Options given on the command line win over the file. Example (docs/ci.md documents every key)::

    fail-on: lossy
    providers: [ingress-nginx]
    gateway-api-version: "1.5"
    baseline: .ingress2gw-baseline.json
    ignore:
      - code: annotation.unsupported
        annotation: nginx.ingress.kubernetes.io/proxy-body-size
        object: shop/*
        reason: The cloud load balancer limits request bodies.
        expires: 2026-06-30
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from ingress2gw.report.findings import Finding, Report, Suppression

CONFIG_NAME = ".ingress2gw.yaml"

def option_keys() -> dict[str, tuple[str, type]]:
    """Config key → (CLI parameter name, type), from the option declarations (core, providers', emitters') and
    the command options the file may set. Lists accept a single string too."""
    from ingress2gw.options import COMMAND_CONFIG_KEYS, CORE_OPTIONS, plugin_options

    keys = dict(COMMAND_CONFIG_KEYS)
    for spec in (*CORE_OPTIONS, *plugin_options()):
        if spec.key is not None:
            keys[spec.key] = (spec.name, str if spec.type is type(None) else spec.type)
    return keys


_OTHER_KEYS = ("baseline", "ignore", "version")
_IGNORE_KEYS = ("code", "annotation", "object", "reason", "expires")


class ConfigError(Exception):
    """An unreadable or invalid config file (exit code 2); the message names the file and the line."""


@dataclass(frozen=True)
class IgnoreRule:
    reason: str
    code: str | None = None  # glob over the finding code
    annotation: str | None = None  # glob over the annotation key
    object: str | None = None  # glob over "namespace/name" (no "/": the name in any namespace)
    expires: dt.date | None = None
    line: int = 0  # where the entry starts in the config file

    def matches(self, f: Finding) -> bool:
        if self.code is not None and not fnmatchcase(f.code.value, self.code):
            return False
        if self.annotation is not None and not fnmatchcase(f.annotation.lower(), self.annotation.lower()):
            return False
        if self.object is not None:
            if f.obj is None:
                return False
            pattern = self.object if "/" in self.object else f"*/{self.object}"
            if not fnmatchcase(f"{f.obj.namespace}/{f.obj.name}", pattern):
                return False
        return True

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and today > self.expires

    def describe(self) -> str:
        what = ", ".join(f"{k}={v}" for k, v in (("code", self.code), ("annotation", self.annotation),
                                                  ("object", self.object)) if v is not None)
        return f"{what} ({self.reason})"


@dataclass
class Config:
    path: Path | None = None
    options: dict = field(default_factory=dict)  # CLI parameter name → value
    ignore: list[IgnoreRule] = field(default_factory=list)
    baseline: Path | None = None  # resolved against the config file's directory


def discover(paths: list[str] | None, cwd: Path | None = None) -> Path | None:
    """The nearest ``.ingress2gw.yaml`` above the first input path (the working directory for stdin)."""
    cwd = cwd or Path.cwd()
    start = next((p for p in paths or [] if p != "-"), None)
    here = (cwd / start) if start else cwd
    here = Path(os.path.abspath(here))
    if not here.is_dir():
        here = here.parent
    for d in (here, *here.parents):
        candidate = d / CONFIG_NAME
        if candidate.is_file():
            try:
                return candidate.relative_to(cwd)
            except ValueError:
                return candidate
        if (d / ".git").exists():  # the repository root: a config further up belongs to something else
            return None
    return None


def load(path: Path) -> Config:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read config {path}: {getattr(e, 'strerror', None) or e}") from None
    try:
        doc = YAML(typ="rt").load(text)
    except YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ConfigError(f"{where}: invalid YAML: {getattr(e, 'problem', None) or e}") from None
    if doc is None:
        return Config(path=path)
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}:1: the config must be a mapping of options")
    cfg = Config(path=path)
    option_keys_ = option_keys()
    for key, value in doc.items():
        where = f"{path}:{_line(doc, key)}"
        if key in option_keys_:
            name, typ = option_keys_[key]
            cfg.options[name] = _typed(value, typ, key, where)
        elif key == "baseline":
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{where}: baseline must be a file name")
            cfg.baseline = path.parent / value
        elif key == "ignore":
            cfg.ignore = _ignore_rules(value, path, where)
        elif key == "version":
            if value != 1:
                raise ConfigError(f"{where}: unsupported config version {value!r} (this ingress2gw reads version 1)")
        else:
            known = ", ".join(sorted([*option_keys_, *_OTHER_KEYS]))
            raise ConfigError(f"{where}: unknown key {key!r} (known: {known})")
    return cfg


def _line(mapping, key) -> int:
    try:
        return mapping.lc.key(key)[0] + 1
    except Exception:  # noqa: BLE001 - a line number is a courtesy
        return 1


def _typed(value, typ: type, key: str, where: str):
    if typ is list:
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [str(v) for v in value]
        raise ConfigError(f"{where}: {key} must be a string or a list of strings")
    if typ is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: {key} must be true or false")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and key == "gateway-api-version":
        raise ConfigError(f'{where}: quote the version ("{value}"), YAML reads 1.10 as the number 1.1')
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {key} must be a string")
    return str(value)


def _ignore_rules(value, path: Path, where: str) -> list[IgnoreRule]:
    if not isinstance(value, list):
        raise ConfigError(f"{where}: ignore must be a list of entries")
    rules = []
    for i, entry in enumerate(value):
        line = value.lc.item(i)[0] + 1 if hasattr(value, "lc") else 0
        at = f"{path}:{line}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{at}: an ignore entry must be a mapping (code, annotation, object, reason, expires)")
        unknown = [k for k in entry if k not in _IGNORE_KEYS]
        if unknown:
            raise ConfigError(f"{at}: unknown ignore key {unknown[0]!r} (known: {', '.join(_IGNORE_KEYS)})")
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(f"{at}: every ignore entry needs a reason")
        if entry.get("code") is None and entry.get("annotation") is None:
            raise ConfigError(f"{at}: an ignore entry needs a code, an annotation, or both")
        for k in ("code", "annotation", "object"):
            if k in entry and not isinstance(entry[k], str):
                raise ConfigError(f"{at}: {k} must be a string")
        rules.append(IgnoreRule(reason=reason.strip(), code=entry.get("code"), annotation=entry.get("annotation"),
                                object=entry.get("object"), expires=_date(entry.get("expires"), at), line=line))
    return rules


def _date(value, at: str) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{at}: expires must be a date, YYYY-MM-DD (got {value!r})") from None


def apply_ignores(report: Report, cfg: Config, today: dt.date | None = None) -> list[IgnoreRule]:
    """Mark the findings that an unexpired ``ignore:`` entry accepts. Returns the expired entries that matched.

    An expired entry suppresses nothing, so its findings fail the gate again.
    """
    today = today or dt.date.today()
    expired: list[IgnoreRule] = []
    source = str(cfg.path) if cfg.path else ""

    def accept(f) -> Suppression | None:
        for rule in cfg.ignore:
            if not rule.matches(f):
                continue
            if rule.expired(today):
                if rule not in expired:
                    expired.append(rule)
                continue
            return Suppression("config", rule.reason, source, rule.expires.isoformat() if rule.expires else None)
        return None

    report.suppress(accept)
    return expired
