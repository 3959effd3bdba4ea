"""Command line: flags → one call into the pipeline, and the exit code.

Start-up time counts (the CLI runs on every CI commit): this module imports only typer; everything
else is imported inside the command that needs it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer
from typer.core import TyperCommand

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


# Options shared by convert, check and verify ------------------------------------------------------------
# The core options are declared once, in ingress2gw.options; the options providers and emitters declare are
# added to these commands when one of them runs (reading them imports the plugins, which --version must not).
PathsArg = typer.Argument(None, help="Files or directories (recursive *.yaml, *.yml, *.json); - for stdin.")
ReportOpt = typer.Option(None, "--report", help="Write all findings to FILE; the extension picks the format: "
                                                  ".json, .sarif, .md, .html or .txt.")
ConfigOpt = typer.Option(None, "--config", help="Config file (default: the nearest .ingress2gw.yaml above the "
                                                "first input, up to the repository root).")
QuietOpt = typer.Option(False, "--quiet", "-q", help="No summary on stderr.")
VersionOpt = typer.Option("1.6", "--gateway-api-version", help="Target Gateway API version (1.2 … 1.6).")
ChannelOpt = typer.Option("standard", "--channel", help="standard or experimental.")
NoColorOpt = typer.Option(False, "--no-color", help="No colours (NO_COLOR is honoured too).")
_PLUGIN_VALUES = "ingress2gw.plugin_options"


def _parameters(specs, kind):
    """``OptionSpec``s as the parameters typer reads from a signature."""
    import inspect

    out = []
    for s in specs:
        if s.type is list:
            annotation, default = List[str], list(s.default or [])
        elif s.type is bool:
            annotation, default = bool, bool(s.default)
        elif s.type is Path:
            annotation, default = Optional[Path], s.default
        else:
            annotation, default = (Optional[str] if s.default is None else str), s.default
        out.append(inspect.Parameter(s.name, kind, annotation=annotation,
                                     default=typer.Option(default, s.flag, *s.short, help=s.help)))
    return out


def _core_options(func):
    """Give the command the core options' parameters in place of its ``**options`` (after ``paths``)."""
    import inspect

    from ingress2gw.options import CORE_OPTIONS

    sig = inspect.signature(func, eval_str=True)
    own = [p for p in sig.parameters.values() if p.kind is not p.VAR_KEYWORD]
    at = [p.name for p in own].index("paths") + 1
    core = _parameters(CORE_OPTIONS, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    func.__signature__ = sig.replace(parameters=[*own[:at], *core, *own[at:]])
    return func


_plugin_cache: list = []


def _plugin_params():
    """``(specs, click parameters)`` of the options providers and emitters declare (imports them, once)."""
    if not _plugin_cache:
        import inspect

        from typer.main import get_command

        from ingress2gw.options import plugin_options

        specs = plugin_options()

        def declared(**values):  # pragma: no cover - only its signature is read
            """Plugin options."""

        declared.__signature__ = inspect.Signature(_parameters(specs, inspect.Parameter.KEYWORD_ONLY))
        holder = typer.Typer(add_completion=False)
        holder.command()(declared)
        _plugin_cache.append((specs, list(get_command(holder).params)))
    return _plugin_cache[0]


class _PluginOptionsCommand(TyperCommand):
    """A command that also takes the options providers and emitters declare, read when it runs."""

    def get_params(self, ctx):
        params = super().get_params(ctx)
        n = len(self.params)
        return [*params[:n], *_plugin_params()[1], *params[n:]]

    def invoke(self, ctx):
        names = [p.name for p in _plugin_params()[1]]
        ctx.meta[_PLUGIN_VALUES] = {n: ctx.params.pop(n) for n in names if n in ctx.params}
        return super().invoke(ctx)


def _options(paths, v: dict):
    """The run's ``Options`` from a command's parameters (after the config file's defaults); a bad value is a
    usage error naming its flag."""
    from ingress2gw.emitters import available
    from ingress2gw.gwapi import Target, parse_version
    from ingress2gw.options import CORE_OPTIONS
    from ingress2gw.pipeline import Options

    plugin_specs = _plugin_params()[0]
    try:
        version = parse_version(v["gateway_api_version"])
    except ValueError as e:
        _fail(str(e))
    if v["emitter"] not in available():
        _fail(f"unknown emitter {v['emitter']!r} (available: {', '.join(available())})")
    for spec in (*CORE_OPTIONS, *plugin_specs):
        error = spec.error(v.get(spec.name))
        if error:
            _fail(error)
    if not paths:
        if sys.stdin is None or sys.stdin.isatty():
            _fail("no input: give files or directories, or - to read stdin")
        paths = ["-"]
    plugin = {}
    for spec in plugin_specs:
        value = v.get(spec.name, spec.default)
        plugin[spec.name] = (list(value or []) if spec.type is list else str(value) if spec.type is Path and value
                             else value)
    return Options(
        paths=list(paths), providers=list(v["provider"]), ingress_classes=list(v["ingress_class"]),
        namespaces=[] if v["all_namespaces"] else list(v["namespace"]), emitter=v["emitter"],
        target=Target(version, v["channel"]), gateway_namespace=v["gateway_namespace"],
        gateway_mode=v["gateway_mode"], gateway=tuple(v["gateway"].split("/", 1)) if v["gateway"] else None,
        gateway_class=v["gateway_class"], provider_options=plugin,
    )


def _run(opts):
    from ingress2gw.pipeline import UsageError, run

    try:
        return run(opts, stdin=sys.stdin.buffer if "-" in opts.paths and sys.stdin is not None else None)
    except UsageError as e:
        _fail(str(e))


def _render_report(report, path: Path, opts, gate=None, baseline_used: bool = False) -> str:
    from ingress2gw.report.formats import format_for_path, render

    try:
        fmt = format_for_path(path)
    except ValueError as e:
        _fail(str(e))
    return render(report, fmt, tool_version=__version__, options=_public_options(opts), gate=gate,
                  baseline_used=baseline_used)


def _write_report(report, path: Path, opts, gate=None, baseline_used: bool = False) -> None:
    text = _render_report(report, path, opts, gate, baseline_used)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        _fail(f"cannot write report {path}: {e.strerror}")


def _inside(path: Path, directory: Path) -> Optional[Path]:
    """``path`` relative to ``directory`` when it lies inside it (symlinks resolved), else None."""
    resolved, root = path.resolve(), directory.resolve()
    return resolved.relative_to(root) if resolved != root and resolved.is_relative_to(root) else None


def _load_config(ctx: typer.Context, paths, config: Optional[Path], command: str):
    """The config (given, or found above the inputs) and the parameters with its defaults filled in.

    A flag given on the command line wins over the file; ``fail-on`` from the file applies to ``check`` only.
    """
    from ingress2gw.config import ConfigError, discover, load

    path = config if config is not None else discover(list(paths or []))
    values = {**ctx.params, **ctx.meta.get(_PLUGIN_VALUES, {})}
    if path is None:
        return None, values
    try:
        cfg = load(path)
    except ConfigError as e:
        _fail(str(e))
    for name, value in cfg.options.items():
        if name == "fail_on" and command != "check":
            continue
        source = ctx.get_parameter_source(name)  # typer vendors click: compare the enum by name
        if name in values and (source is None or source.name in ("DEFAULT", "DEFAULT_MAP")):
            values[name] = value
    return cfg, values


def _suppress(report, cfg, baseline: Optional[Path], write_baseline: Optional[Path] = None) -> bool:
    """Apply the config's ignore list, then write and/or apply the baseline. True when a baseline is in use."""
    from ingress2gw.config import apply_ignores
    from ingress2gw.report.baseline import BaselineError, apply_baseline, write_baseline as write

    if cfg is not None and cfg.ignore:
        for rule in apply_ignores(report, cfg):
            typer.echo(f"ingress2gw: {cfg.path}:{rule.line}: ignore entry expired on {rule.expires.isoformat()}; "
                       f"its findings fail again: {rule.describe()}", err=True)
    if write_baseline is not None:
        try:
            n = write(report, write_baseline)
        except OSError as e:
            _fail(f"cannot write baseline {write_baseline}: {e.strerror}")
        typer.echo(f"ingress2gw: wrote {n} finding(s) to the baseline {write_baseline}", err=True)
        baseline = write_baseline
    elif baseline is None and cfg is not None:
        baseline = cfg.baseline
    if baseline is None:
        return False
    if not baseline.is_file():
        _fail(f"baseline {baseline} does not exist (create it with --write-baseline {baseline})")
    try:
        apply_baseline(report, baseline)
    except BaselineError as e:
        _fail(str(e))
    return True


def _public_options(opts) -> dict:
    return {
        "providers": opts.providers, "ingressClasses": opts.ingress_classes, "namespaces": opts.namespaces,
        "emitter": opts.emitter, "gatewayAPIVersion": opts.target.version, "channel": opts.target.channel,
        "gatewayMode": opts.gateway_mode,
    }


def _gate(report, fail_on: str):
    from ingress2gw.report.gate import evaluate

    try:
        return evaluate(report, fail_on)
    except ValueError as e:
        _fail(str(e))


def _color(no_color: bool) -> bool | None:
    return False if no_color else None


@app.command(cls=_PluginOptionsCommand)
@_core_options
def convert(
    ctx: typer.Context,
    paths: Optional[List[str]] = PathsArg,
    output_dir: Optional[Path] = typer.Option(None, "--output-dir", "-o",
                                              help="Write one file per object here instead of stdout."),
    fail_on: str = typer.Option("never", "--fail-on", help="never|unknown|unsupported|lossy|warning"),
    report_file: Optional[Path] = ReportOpt,
    validate: bool = typer.Option(False, "--validate", help="Validate the output against the CRDs first."),
    crds: List[str] = typer.Option([], "--crds", help="CRDs for --validate (dir, file or -)."),
    quiet: bool = QuietOpt, no_color: bool = NoColorOpt, config: Optional[Path] = ConfigOpt,
    **options,
) -> None:
    """Convert Ingress manifests to Gateway API manifests, with an audit of what could not be translated."""
    cfg, v = _load_config(ctx, paths, config, "convert")
    opts = _options(paths, v)
    _check_fail_on(fail_on)
    result = _run(opts)
    baseline_used = _suppress(result.report, cfg, None)
    from ingress2gw.output import write_objects

    invalid = 0
    if validate:
        from ingress2gw.validate.command import validate_objects

        invalid = validate_objects(result.objects, crds, opts.target.version, opts.target.channel, sys.stderr)
        if invalid < 0:
            raise typer.Exit(EXIT_USAGE)
    gate = _gate(result.report, fail_on)
    # A report inside --output-dir is one more file of the output directory's all-or-nothing write.
    report_rel = _inside(report_file, output_dir) if report_file is not None and output_dir is not None else None
    extra = [] if report_rel is None else [(report_rel, _render_report(
        result.report, report_file, opts, gate if cfg is not None else None, baseline_used))]
    try:
        write_objects(result.objects, output_dir, sys.stdout, extra)
    except OSError as e:
        _fail(f"cannot write output: {e}")
    if report_file is not None and report_rel is None:
        _write_report(result.report, report_file, opts, gate if cfg is not None else None, baseline_used)
    from ingress2gw.report.terminal import print_summary

    print_summary(result.report, stream=sys.stderr, color=_color(no_color), quiet=quiet)
    code = gate.exit_code
    raise typer.Exit(EXIT_FINDINGS if invalid and code == EXIT_OK else code)


@app.command(cls=_PluginOptionsCommand)
@_core_options
def check(
    ctx: typer.Context,
    paths: Optional[List[str]] = PathsArg,
    fail_on: str = typer.Option("unsupported", "--fail-on", help="never|unknown|unsupported|lossy|warning"),
    fmt: str = typer.Option("text", "--format", help="text, json, sarif, github, markdown or html."),
    report_file: Optional[Path] = ReportOpt, quiet: bool = typer.Option(
        False, "--quiet", "-q", help="text format: only the findings that fail the gate, one line each."),
    no_color: bool = NoColorOpt, config: Optional[Path] = ConfigOpt,
    baseline: Optional[Path] = typer.Option(None, "--baseline", help="Fail only on findings not recorded in "
                                            "this baseline file (see --write-baseline)."),
    write_baseline: Optional[Path] = typer.Option(None, "--write-baseline", help="Record the current findings "
                                                  "in FILE, to adopt the gate on an existing repository."),
    **options,
) -> None:
    """Analyse the manifests without writing any; print the report and exit per --fail-on."""
    from ingress2gw.report.formats import FORMATS

    cfg, v = _load_config(ctx, paths, config, "check")
    opts = _options(paths, v)
    if fmt not in FORMATS:
        _fail(f"--format must be one of {', '.join(FORMATS)}")
    _check_fail_on(v["fail_on"])
    result = _run(opts)
    report = result.report
    baseline_used = _suppress(report, cfg, baseline, write_baseline)
    gate = _gate(report, v["fail_on"])
    if fmt == "text":
        if quiet:
            sys.stdout.write("".join(f.parsable() + "\n" for f in gate.failing))
        else:
            from ingress2gw.report.terminal import render_terminal

            render_terminal(report, stream=sys.stdout, color=_color(no_color), gate=gate)
    else:
        from ingress2gw.report.formats import render

        sys.stdout.write(render(report, fmt, tool_version=__version__, options=_public_options(opts), gate=gate,
                                baseline_used=baseline_used))
    if report_file is not None:
        _write_report(report, report_file, opts, gate, baseline_used)
    raise typer.Exit(gate.exit_code)


def _check_fail_on(fail_on: str) -> None:
    """A usage error before any input is read."""
    from ingress2gw.report.gate import FAIL_ON_LEVELS

    if fail_on not in FAIL_ON_LEVELS:
        _fail(f"--fail-on must be one of {', '.join(FAIL_ON_LEVELS)}")


@app.command()
def annotations(
    provider: List[str] = typer.Option([], "--provider", help="Only this provider (repeatable)."),
    status: List[str] = typer.Option([], "--status", help="Only annotations with this status (repeatable)."),
    fmt: str = typer.Option("table", "--format", help="table, json or markdown"),
    emitter: str = typer.Option("standard", "--emitter", help="Status as this target implementation handles it."),
) -> None:
    """The catalog: every annotation each provider knows, with its status, target and caveat."""
    from ingress2gw.catalog import render_catalog

    try:
        sys.stdout.write(render_catalog(list(provider), list(status), fmt, emitter=emitter))
    except ValueError as e:
        _fail(str(e))


@app.command(cls=_PluginOptionsCommand)
@_core_options
def verify(
    ctx: typer.Context,
    paths: Optional[List[str]] = PathsArg,
    gateway_manifests: Optional[str] = typer.Option(
        None, "--gateway-manifests", help="Compare against these Gateway API manifests instead of converting."),
    requests_file: Optional[str] = typer.Option(None, "--requests", help="YAML list of extra requests to replay."),
    fmt: str = typer.Option("text", "--format", help="text, json or markdown"),
    **options,
) -> None:
    """Replay requests through the source controller's semantics and the generated routes; report differences."""
    opts = _options(paths, {**ctx.params, **ctx.meta.get(_PLUGIN_VALUES, {})})
    from ingress2gw.verify.command import run_verify

    raise typer.Exit(run_verify(list(opts.paths), gateway_manifests=gateway_manifests, requests_file=requests_file,
                                fmt=fmt, options=opts, stdout=sys.stdout, stderr=sys.stderr))


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
