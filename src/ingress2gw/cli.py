"""Command line: flags → one call into the pipeline, and the exit code.

Start-up time counts (the CLI runs on every CI commit): this module imports only typer; everything
else is imported inside the command that needs it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from ingress2gw import __version__

app = typer.Typer(
    name="ingress2gw",
    help="Migrate Kubernetes Ingress manifests (ingress-nginx, Traefik) to the Gateway API.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def _version_callback(value: bool) -> None:
    if value:
        from ingress2gw import SUPPORTED_GATEWAY_API_VERSIONS

        typer.echo(f"ingress2gw {__version__} (Gateway API {', '.join(SUPPORTED_GATEWAY_API_VERSIONS)})")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """ingress2gw: convert, check and audit Ingress → Gateway API migrations."""


def _fail(message: str) -> None:
    typer.echo(f"ingress2gw: error: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


# Options shared by convert and check --------------------------------------------------------------
PathsArg = typer.Argument(None, help="Files or directories (recursive *.yaml, *.yml, *.json); - for stdin.")
ProviderOpt = typer.Option([], "--provider", help="ingress-nginx or traefik (repeatable; default: detect).")
ClassOpt = typer.Option([], "--ingress-class", help="Only Ingresses of this class (repeatable).")
NamespaceOpt = typer.Option([], "--namespace", "-n", help="Only Ingresses in this namespace (repeatable).")
AllNsOpt = typer.Option(False, "--all-namespaces", "-A", help="All namespaces (the default).")
EmitterOpt = typer.Option("standard", "--emitter", help="Target implementation (standard emits Gateway API only).")
VersionOpt = typer.Option("1.6", "--gateway-api-version", help="Target Gateway API version (1.2 … 1.6).")
ChannelOpt = typer.Option("standard", "--channel", help="standard or experimental.")
GwNsOpt = typer.Option("gateway-system", "--gateway-namespace", help="Namespace of the shared Gateways.")
GwModeOpt = typer.Option("shared", "--gateway-mode", help="shared (one Gateway per class) or per-namespace.")
GwOpt = typer.Option(None, "--gateway", help="NAMESPACE/NAME of an existing Gateway to attach routes to.")
GwClassOpt = typer.Option(None, "--gateway-class", help="gatewayClassName of emitted Gateways.")
PrefixOpt = typer.Option(None, "--annotations-prefix",
                         help="ingress-nginx --annotations-prefix, if the controller used a custom one.")
EntrypointOpt = typer.Option([], "--traefik-entrypoint",
                             help="Traefik entry point as NAME=HTTP|HTTPS (repeatable; default web=HTTP, "
                                  "websecure=HTTPS).")
StrictPrefixOpt = typer.Option(False, "--traefik-strict-prefix-matching",
                               help="Traefik ran with providers.kubernetesIngress.strictPrefixMatching.")
RegexModeOpt = typer.Option("faithful", "--regex-mode",
                            help="ingress-nginx regex paths: faithful (host-wide, case-insensitive regex as the "
                                 "controller did) or strict (keep Exact/Prefix matches, report the difference).")
ControllerConfigOpt = typer.Option(None, "--controller-config",
                                   help="The ingress-nginx controller ConfigMap (YAML/JSON file), if it is not "
                                        "among the inputs.")
ReportOpt = typer.Option(None, "--report", help="Write all findings to FILE (.json or .txt).")
QuietOpt = typer.Option(False, "--quiet", "-q", help="No summary on stderr.")
NoColorOpt = typer.Option(False, "--no-color", help="No colours (NO_COLOR is honoured too).")


def _options(paths, provider, ingress_class, namespace, emitter, gateway_api_version, channel,
             gateway_namespace, gateway_mode, gateway, gateway_class, annotations_prefix, traefik_entrypoint,
             traefik_strict_prefix_matching, regex_mode="faithful", controller_config=None):
    from ingress2gw.gwapi import CHANNELS, Target, parse_version
    from ingress2gw.pipeline import Options

    try:
        version = parse_version(gateway_api_version)
    except ValueError as e:
        _fail(str(e))
    if channel not in CHANNELS:
        _fail(f"--channel must be one of {', '.join(CHANNELS)}")
    if emitter != "standard":
        _fail(f"emitter {emitter!r} is not available yet (available: standard)")
    if gateway_mode not in ("shared", "per-namespace"):
        _fail("--gateway-mode must be shared or per-namespace")
    existing = None
    if gateway:
        ns, sep, name = gateway.partition("/")
        if not sep or not ns or not name:
            _fail("--gateway takes NAMESPACE/NAME")
        existing = (ns, name)
    for ep in traefik_entrypoint:
        if "=" not in ep or ep.split("=", 1)[1].upper() not in ("HTTP", "HTTPS"):
            _fail(f"--traefik-entrypoint takes NAME=HTTP or NAME=HTTPS, got {ep!r}")
    if regex_mode not in ("faithful", "strict"):
        _fail("--regex-mode must be faithful or strict")
    if controller_config is not None and not controller_config.is_file():
        _fail(f"--controller-config: {controller_config} is not a file")
    if not paths:
        if sys.stdin is None or sys.stdin.isatty():
            _fail("no input: give files or directories, or - to read stdin")
        paths = ["-"]
    return Options(
        paths=list(paths), providers=list(provider), ingress_classes=list(ingress_class),
        namespaces=list(namespace), emitter=emitter, target=Target(version, channel),
        gateway_namespace=gateway_namespace, gateway_mode=gateway_mode, gateway=existing,
        gateway_class=gateway_class,
        provider_options={
            "annotations_prefix": annotations_prefix,
            "traefik_entrypoints": list(traefik_entrypoint),
            "traefik_strict_prefix_matching": traefik_strict_prefix_matching,
            "regex_mode": regex_mode,
            "controller_config": str(controller_config) if controller_config else None,
        },
    )


def _run(opts):
    from ingress2gw.pipeline import UsageError, run

    try:
        return run(opts, stdin=sys.stdin.buffer if "-" in opts.paths and sys.stdin is not None else None)
    except UsageError as e:
        _fail(str(e))


def _write_report(report, path: Path, opts) -> None:
    from ingress2gw.report.render import to_json, to_text

    suffix = path.suffix.lower()
    if suffix == ".json":
        text = to_json(report, tool_version=__version__, options=_public_options(opts))
    elif suffix in (".txt", ".log", ""):
        text = to_text(report)
    else:
        _fail(f"--report: unsupported format {suffix!r} (use .json or .txt)")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        _fail(f"cannot write report {path}: {e.strerror}")


def _public_options(opts) -> dict:
    return {
        "providers": opts.providers, "ingressClasses": opts.ingress_classes, "namespaces": opts.namespaces,
        "emitter": opts.emitter, "gatewayAPIVersion": opts.target.version, "channel": opts.target.channel,
        "gatewayMode": opts.gateway_mode,
    }


def _exit_code(report, fail_on: str) -> int:
    from ingress2gw.report.gate import FAIL_ON_LEVELS, failing

    if fail_on not in FAIL_ON_LEVELS:
        _fail(f"--fail-on must be one of {', '.join(FAIL_ON_LEVELS)}")
    if report.has_input_errors():
        return EXIT_USAGE
    return EXIT_FINDINGS if failing(report.findings, fail_on) else EXIT_OK


def _color(no_color: bool) -> bool | None:
    return False if no_color else None


@app.command()
def convert(
    paths: Optional[List[str]] = PathsArg,
    output_dir: Optional[Path] = typer.Option(None, "--output-dir", "-o",
                                              help="Write one file per object here instead of stdout."),
    provider: List[str] = ProviderOpt, ingress_class: List[str] = ClassOpt, namespace: List[str] = NamespaceOpt,
    all_namespaces: bool = AllNsOpt, emitter: str = EmitterOpt, gateway_api_version: str = VersionOpt,
    channel: str = ChannelOpt, gateway_namespace: str = GwNsOpt, gateway_mode: str = GwModeOpt,
    gateway: Optional[str] = GwOpt, gateway_class: Optional[str] = GwClassOpt,
    annotations_prefix: Optional[str] = PrefixOpt, traefik_entrypoint: List[str] = EntrypointOpt,
    traefik_strict_prefix_matching: bool = StrictPrefixOpt,
    regex_mode: str = RegexModeOpt, controller_config: Optional[Path] = ControllerConfigOpt,
    fail_on: str = typer.Option("never", "--fail-on", help="never|unknown|unsupported|lossy|warning"),
    report_file: Optional[Path] = ReportOpt,
    validate: bool = typer.Option(False, "--validate", help="Validate the output against the CRDs first."),
    crds: List[str] = typer.Option([], "--crds", help="CRDs for --validate (dir, file or -)."),
    quiet: bool = QuietOpt, no_color: bool = NoColorOpt,
) -> None:
    """Convert Ingress manifests to Gateway API manifests, with an audit of what could not be translated."""
    opts = _options(paths, provider, ingress_class, [] if all_namespaces else namespace, emitter,
                    gateway_api_version, channel, gateway_namespace, gateway_mode, gateway, gateway_class,
                    annotations_prefix, traefik_entrypoint, traefik_strict_prefix_matching, regex_mode,
                    controller_config)
    result = _run(opts)
    from ingress2gw.output import write_objects

    invalid = 0
    if validate:
        from ingress2gw.validate.command import validate_objects

        invalid = validate_objects(result.objects, crds, opts.target.version, opts.target.channel, sys.stderr)
        if invalid < 0:
            raise typer.Exit(EXIT_USAGE)
    try:
        write_objects(result.objects, output_dir, sys.stdout)
    except OSError as e:
        _fail(f"cannot write output: {e}")
    if report_file is not None:
        _write_report(result.report, report_file, opts)
    from ingress2gw.report.render import print_summary

    print_summary(result.report, stream=sys.stderr, color=_color(no_color), quiet=quiet)
    code = _exit_code(result.report, fail_on)
    raise typer.Exit(EXIT_FINDINGS if invalid and code == EXIT_OK else code)


@app.command()
def check(
    paths: Optional[List[str]] = PathsArg,
    provider: List[str] = ProviderOpt, ingress_class: List[str] = ClassOpt, namespace: List[str] = NamespaceOpt,
    all_namespaces: bool = AllNsOpt, emitter: str = EmitterOpt, gateway_api_version: str = VersionOpt,
    channel: str = ChannelOpt, gateway_namespace: str = GwNsOpt, gateway_mode: str = GwModeOpt,
    gateway: Optional[str] = GwOpt, gateway_class: Optional[str] = GwClassOpt,
    annotations_prefix: Optional[str] = PrefixOpt, traefik_entrypoint: List[str] = EntrypointOpt,
    traefik_strict_prefix_matching: bool = StrictPrefixOpt,
    regex_mode: str = RegexModeOpt, controller_config: Optional[Path] = ControllerConfigOpt,
    fail_on: str = typer.Option("unsupported", "--fail-on", help="never|unknown|unsupported|lossy|warning"),
    fmt: str = typer.Option("text", "--format", help="text or json"),
    report_file: Optional[Path] = ReportOpt, quiet: bool = QuietOpt, no_color: bool = NoColorOpt,
) -> None:
    """Analyse the manifests without writing any; print the report and exit per --fail-on."""
    opts = _options(paths, provider, ingress_class, [] if all_namespaces else namespace, emitter,
                    gateway_api_version, channel, gateway_namespace, gateway_mode, gateway, gateway_class,
                    annotations_prefix, traefik_entrypoint, traefik_strict_prefix_matching, regex_mode,
                    controller_config)
    if fmt not in ("text", "json"):
        _fail("--format must be text or json")
    result = _run(opts)
    from ingress2gw.report.render import to_json, to_text

    if fmt == "json":
        sys.stdout.write(to_json(result.report, tool_version=__version__, options=_public_options(opts)))
    else:
        sys.stdout.write(to_text(result.report))
    if report_file is not None:
        _write_report(result.report, report_file, opts)
    raise typer.Exit(_exit_code(result.report, fail_on))


@app.command()
def annotations(
    provider: List[str] = typer.Option([], "--provider", help="Only this provider (repeatable)."),
    status: List[str] = typer.Option([], "--status", help="Only annotations with this status (repeatable)."),
    fmt: str = typer.Option("table", "--format", help="table, json or markdown"),
) -> None:
    """The catalog: every annotation each provider knows, with its status, target and caveat."""
    from ingress2gw.catalog import render_catalog

    try:
        sys.stdout.write(render_catalog(list(provider), list(status), fmt))
    except ValueError as e:
        _fail(str(e))


@app.command()
def validate(
    paths: Optional[List[str]] = PathsArg,
    crds: List[str] = typer.Option([], "--crds", help="CRD YAML: a directory, a file, or - (repeatable)."),
    gateway_api_version: str = VersionOpt, channel: str = ChannelOpt,
    fmt: str = typer.Option("text", "--format", help="text or json"),
) -> None:
    """Check manifests against CRD schemas and CEL rules, as the API server would."""
    from ingress2gw.validate.command import run_validate

    if not paths:
        if sys.stdin is None or sys.stdin.isatty():
            _fail("no input: give files or directories, or - to read stdin")
        paths = ["-"]
    raise typer.Exit(run_validate(list(paths), list(crds), gateway_api_version, channel, fmt,
                                  sys.stdout, sys.stderr))


crds_app = typer.Typer(help="Manage the CRD bundles `validate` checks against.", no_args_is_help=True,
                       add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
app.add_typer(crds_app, name="crds")


@crds_app.command("import")
def crds_import(
    sources: List[str] = typer.Argument(..., help="CRD YAML: directories, files, or - (kubectl get crd -o yaml)."),
    project_version: Optional[str] = typer.Option(None, "--version", help="Version to file a non-Gateway-API "
                                                  "bundle under (e.g. v2.4.3)."),
    dest: Optional[str] = typer.Option(None, "--dest", help="Store to import into (default: the user cache)."),
) -> None:
    """Import CRDs (e.g. the official standard-install.yaml) into the store that validate searches."""
    from ingress2gw.validate.command import run_crds_import

    raise typer.Exit(run_crds_import(list(sources), project_version=project_version, dest=dest,
                                     stdout=sys.stdout, stderr=sys.stderr))


@app.command()
def version() -> None:
    """Tool version and supported Gateway API versions."""
    _version_callback(True)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
