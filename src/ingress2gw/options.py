"""Every option of a run, declared once as an ``OptionSpec``.

The core options (``CORE_OPTIONS``) are declared here; a provider or an emitter declares its own in its
``options`` class attribute. From these declarations come the command-line flags of ``convert``, ``check`` and
``verify``, the keys of ``.ingress2gw.yaml``, the validation of choices, docs/options.md, and the typed values a
provider reads (``ctx.option("regex_mode")`` or ``ctx.options.regex_mode``; an undeclared name is an error).

This module imports nothing heavy: the CLI reads ``CORE_OPTIONS`` at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping


@dataclass(frozen=True)
class OptionSpec:
    #: Python name: the command parameter, the key of a run's option values, ``ctx.option(name)``.
    name: str
    #: The command-line flag (``--regex-mode``).
    flag: str
    #: ``str``, ``bool`` (a flag), ``list`` (repeatable string) or ``Path`` (an existing file).
    type: type = str
    default: Any = None
    help: str = ""
    choices: tuple[str, ...] = ()
    #: ``core``, or the provider / emitter that declares the option (filled in when plugins are read).
    owner: str = "core"
    short: tuple[str, ...] = ()
    #: Key in ``.ingress2gw.yaml``: ``""`` for the flag without ``--``; ``None``: not settable there.
    config_key: str | None = ""
    #: Further validation: returns an error message for a bad value.
    check: Callable[[Any], str | None] | None = None
    #: A ``Path`` read together with the inputs (e.g. the controller ConfigMap).
    input: bool = False
    #: The value's name in ``--help`` (``NAMESPACE``); default: the choices, ``FILE`` or ``TEXT``.
    metavar: str = ""

    @property
    def value_name(self) -> str:
        """What ``--help`` shows after the flag."""
        if self.metavar:
            return self.metavar
        if self.choices:
            return "[" + "|".join(self.choices) + "]"
        return "FILE" if self.type is Path else "TEXT"

    @property
    def key(self) -> str | None:
        return self.flag[2:] if self.config_key == "" else self.config_key

    def error(self, value: Any) -> str | None:
        """Why ``value`` is not valid for this option (a usage error naming the flag), or None."""
        if value is None:
            return None
        if self.choices and value not in self.choices:
            one = " or ".join(self.choices) if len(self.choices) == 2 else "one of " + ", ".join(self.choices)
            return f"{self.flag} must be {one}"
        if self.type is Path and not is_readable_file(str(value)):
            return f"{self.flag}: {value} is not a file"
        return self.check(value) if self.check is not None else None


def is_readable_file(value: str) -> bool:
    """A file an option may name: a regular file, ``-`` (stdin), or a stream such as ``/dev/stdin``, ``/dev/fd/N``
    (``<(kubectl ...)``) or a named pipe, read once as a stream. A directory is not."""
    if value == "-":
        return True
    p = Path(value)
    return p.exists() and not p.is_dir()


def _namespaced_name(flag: str, what: str) -> Callable[[Any], str | None]:
    def check(value: str) -> str | None:
        ns, sep, name = value.partition("/")
        return None if sep and ns and name and "/" not in name else f"{flag} takes NAMESPACE/{what}"
    return check


#: The options every command that converts shares (``convert``, ``check``, ``verify``), in ``--help`` order.
CORE_OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec("provider", "--provider", list, [], "ingress-nginx or traefik (repeatable; default: detect).",
               config_key="providers", metavar="PROVIDER"),
    OptionSpec("ingress_class", "--ingress-class", list, [], "Only Ingresses of this class (repeatable).",
               config_key="ingress-classes", metavar="CLASS"),
    OptionSpec("namespace", "--namespace", list, [], "Only Ingresses in this namespace (repeatable).",
               short=("-n",), config_key="namespaces", metavar="NAMESPACE"),
    OptionSpec("all_namespaces", "--all-namespaces", bool, False, "All namespaces (the default).", short=("-A",),
               config_key=None),
    OptionSpec("from_cluster", "--from-cluster", bool, False, "Read the cluster instead of files: kubectl get "
               "Ingresses, IngressClasses, Services, the controller ConfigMaps and Traefik objects (-n/-A scope it; "
               "default all namespaces).", config_key=None),
    OptionSpec("context", "--context", str, None, "With --from-cluster: the kubectl context to read.",
               config_key=None, metavar="CONTEXT"),
    OptionSpec("emitter", "--emitter", str, "standard", "Target implementation (standard emits Gateway API only).",
               metavar="NAME"),
    OptionSpec("gateway_api_version", "--gateway-api-version", str, "1.6", "Target Gateway API version (1.2 … 1.6).",
               metavar="VERSION"),
    OptionSpec("channel", "--channel", str, "standard", "standard or experimental.",
               choices=("standard", "experimental")),
    OptionSpec("gateway_namespace", "--gateway-namespace", str, "gateway-system",
               "Namespace of the shared Gateways.", metavar="NAMESPACE"),
    OptionSpec("gateway_mode", "--gateway-mode", str, "shared", "shared (one Gateway per class) or per-namespace.",
               choices=("shared", "per-namespace")),
    OptionSpec("gateway", "--gateway", str, None, "NAMESPACE/NAME of an existing Gateway to attach routes to.",
               config_key=None, check=_namespaced_name("--gateway", "NAME"), metavar="NAMESPACE/NAME"),
    OptionSpec("gateway_class", "--gateway-class", str, None, "gatewayClassName of emitted Gateways.",
               metavar="NAME"),
)

#: Options of one command that the config file may set too (``fail-on`` applies to ``check`` only).
COMMAND_CONFIG_KEYS: dict[str, tuple[str, type]] = {"fail-on": ("fail_on", str)}


def namespaced_name(flag: str, what: str = "NAME") -> Callable[[Any], str | None]:
    """A ``check`` for ``NAMESPACE/NAME`` values (for plugins' declarations)."""
    return _namespaced_name(flag, what)


def plugin_options(providers: Mapping[str, Any] | None = None, emitters: Iterable[tuple[str, Any]] | None = None
                   ) -> tuple[OptionSpec, ...]:
    """The options providers and emitters declare (``options`` class attribute), each with its owner.

    Imports the providers (through their entry points) and the emitters unless given: call it when a command
    runs, never at start-up.
    """
    from dataclasses import replace

    if providers is None:
        from ingress2gw import plugin

        providers = plugin.load_providers()
    if emitters is None:
        from ingress2gw.emitters import available, load_emitter

        emitters = [(name, load_emitter(name)) for name in available()]
    out: dict[str, OptionSpec] = {}
    for owner, obj in [*sorted(providers.items()), *emitters]:
        for spec in getattr(obj, "options", ()) or ():
            if spec.name in out or any(c.name == spec.name for c in CORE_OPTIONS):
                continue  # the first declaration wins (core first)
            out[spec.name] = replace(spec, owner=owner) if spec.owner == "core" else spec
    return tuple(out.values())


class OptionValues:
    """The values of declared options, as attributes; reading an undeclared name is an error."""

    __slots__ = ("_specs", "_values")

    def __init__(self, specs: Iterable[OptionSpec], values: Mapping[str, Any] | None = None):
        specs = {s.name: s for s in specs}
        values = dict(values or {})
        undeclared = sorted(set(values) - set(specs))
        if undeclared:
            raise KeyError(f"undeclared option(s): {', '.join(undeclared)}")
        object.__setattr__(self, "_specs", specs)
        object.__setattr__(self, "_values", {n: values.get(n, _copy(s.default)) for n, s in specs.items()})

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"no option {name!r} is declared (declared: {', '.join(self._values)})") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("option values are read-only")

    def __call__(self, name: str) -> Any:
        return getattr(self, name)

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def specs(self) -> tuple[OptionSpec, ...]:
        return tuple(self._specs.values())

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)

    def inputs(self) -> list[str]:
        """Files that options name to be read with the inputs (``OptionSpec.input``)."""
        return [str(self._values[n]) for n, s in self._specs.items() if s.input and self._values[n]]

    def __repr__(self) -> str:
        return f"OptionValues({self._values!r})"


def _copy(default: Any) -> Any:
    return list(default) if isinstance(default, list) else default


def all_specs() -> tuple[OptionSpec, ...]:
    return (*CORE_OPTIONS, *plugin_options())
