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

#: ``-h`` as well as ``--help``, on every command (subcommands inherit it).
CONTEXT = {"help_option_names": ["-h", "--help"]}


def _examples(*lines: str) -> str:
    """A command's ``Examples:`` epilog (``\\b``: printed as written, not rewrapped). tests/test_cli_everyday.py
    runs every example against examples/cluster.yaml."""
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


app = typer.Typer(
    name="ingress2gw",
    help="Migrate Kubernetes Ingress manifests (ingress-nginx, Traefik) to the Gateway API.",
    epilog=_examples("ingress2gw check examples/cluster.yaml",
                     "ingress2gw convert examples/cluster.yaml -o gateway/ --report gateway/report.json",
                     "ingress2gw convert -h"),
    no_args_is_help=True,
    add_completion=False,  # the `completion SHELL` command prints the script instead
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=CONTEXT,
)

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
#: How many of the findings that fail the gate are printed, one line each (the worst first).
GATE_LINES = 10


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
PathsArg = typer.Argument(None, metavar="PATH", show_default=False,
                          help="Files or directories (recursive *.yaml, *.yml, *.json); - or /dev/stdin for stdin, "
                               "<(command) for a command's output.")
ReportOpt = typer.Option(None, "--report", metavar="FILE", help="Write all findings to FILE; the extension picks the "
                                                                "format: .json, .sarif, .md, .html or .txt.")
ConfigOpt = typer.Option(None, "--config", metavar="FILE", help="Config file (default: the nearest .ingress2gw.yaml "
                                                                "above the first input, up to the repository root).")
QuietOpt = typer.Option(False, "--quiet", "-q", help="No summary on stderr.")
VersionOpt = typer.Option("1.6", "--gateway-api-version", metavar="VERSION",
                          help="Target Gateway API version (1.2 … 1.6).")
ChannelOpt = typer.Option("standard", "--channel", metavar="[standard|experimental]",
                          help="standard or experimental.")
NoColorOpt = typer.Option(False, "--no-color", help="No colours (NO_COLOR is honoured too).")
FailOnMetavar = "[never|unknown|unsupported|lossy|warning]"
CrdsOpt = typer.Option([], "--crds", metavar="PATH", help="CRD YAML: a directory, a file, - or <(kubectl get crd "
                                                          "-o yaml) (repeatable).")
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
        metavar = None if s.type is bool else s.value_name
        out.append(inspect.Parameter(s.name, kind, annotation=annotation,
                                     default=typer.Option(default, s.flag, *s.short, help=s.help, metavar=metavar)))
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


def _no_type(ctx) -> str:
    return ""


class _Command(TyperCommand):
    """Every command: an argument shows its metavar without a type; ``--emitter`` lists the emitters' names (the
    entry points' names, read only when the help is shown: no emitter module is imported for it)."""

    def format_help(self, ctx, formatter):
        for param in self.get_params(ctx):
            if param.param_type_name == "argument" and param.metavar:
                param.display_type_rich = _no_type
            elif param.name == "emitter":
                from ingress2gw.emitters import registry

                param.metavar = "[" + "|".join(registry()) + "]"
        return super().format_help(ctx, formatter)


class _PluginOptionsCommand(_Command):
    """A command that also takes the options providers and emitters declare, read when it runs."""

    def get_params(self, ctx):
        params = super().get_params(ctx)
        n = len(self.params)
        return [*params[:n], *_plugin_params()[1], *params[n:]]

    def invoke(self, ctx):
        names = [p.name for p in _plugin_params()[1]]
        ctx.meta[_PLUGIN_VALUES] = {n: ctx.params.pop(n) for n in names if n in ctx.params}
        return super().invoke(ctx)


_STDIN_NAMES = ("-", "/dev/stdin", "/dev/fd/0")


def _reads_stdin(value) -> bool:
    return value is not None and str(value) in _STDIN_NAMES


def _stdin_file(value):
    """``-`` as a file an option names is stdin: ``/dev/stdin``, read once as a stream."""
    if value is not None and str(value) == "-":
        return Path("/dev/stdin") if isinstance(value, Path) else "/dev/stdin"
    return value


def _stdin_readers(paths, named: dict) -> list[str]:
    """The inputs and options that read stdin (``named``: option flag -> its value, or a list of values)."""
    readers = ["the inputs"] if any(_reads_stdin(p) for p in paths or []) else []
    for flag, value in named.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        if any(_reads_stdin(x) for x in values):
            readers.append(flag)
    return readers


def _stdin_once(paths, named: dict) -> None:
    """stdin feeds one thing: the inputs or one option (``named``: flag -> value or values); more is a usage
    error naming them."""
    readers = _stdin_readers(paths, named)
    if len(readers) > 1:
        _fail(f"stdin can be read once: {' and '.join(readers)} both read it (- or /dev/stdin)")


def _check_conflicts(ctx: typer.Context, paths, v: dict, named: dict) -> None:
    """Options that contradict each other are a usage error naming both; so is stdin read twice (``_options``
    checks it again with the options providers declare)."""
    source = ctx.get_parameter_source("namespace")
    if v.get("all_namespaces") and v.get("namespace") and (source is None or source.name == "COMMANDLINE"):
        _fail("-n/--namespace and -A/--all-namespaces conflict: give one of them")
    if v.get("gateway") and v.get("gateway_mode") == "per-namespace":
        _fail("--gateway and --gateway-mode per-namespace conflict: routes attach to the existing Gateway, so no "
              "per-namespace Gateway is emitted; give one of them")
    _stdin_once(paths, named)


def _options(paths, v: dict, stdin_options: dict | None = None):
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
    plugin = {}
    for spec in plugin_specs:
        value = v.get(spec.name, spec.default)
        plugin[spec.name] = (list(value or []) if spec.type is list else str(value) if spec.type is Path and value
                             else value)
    named = {**(stdin_options or {}), **{s.flag: plugin[s.name] for s in plugin_specs if s.type is Path}}
    if v.get("context") and not v.get("from_cluster"):
        _fail("--context names the kubectl context --from-cluster reads: add --from-cluster, or drop --context")
    if v.get("from_cluster") and paths:
        _fail(f"--from-cluster and the inputs {_input_names(paths)} conflict: read the cluster or files, not both")
    if not paths and v.get("from_cluster"):
        paths = []  # the objects come from the cluster (_read_cluster)
    elif not paths:
        others = _stdin_readers([], named)
        if sys.stdin is None or sys.stdin.isatty() or others:
            _fail("no input: give files or directories, or - to read stdin"
                  + (f" ({others[0]} reads stdin)" if others else ""))
        paths = ["-"]
    _stdin_once(paths, named)
    return Options(
        paths=list(paths), providers=list(v["provider"]), ingress_classes=list(v["ingress_class"]),
        namespaces=[] if v["all_namespaces"] else list(v["namespace"]), emitter=v["emitter"],
        target=Target(version, v["channel"]), gateway_namespace=v["gateway_namespace"],
        gateway_mode=v["gateway_mode"], gateway=tuple(v["gateway"].split("/", 1)) if v["gateway"] else None,
        gateway_class=v["gateway_class"], provider_options=plugin,
    )


def _input_names(paths) -> str:
    return ", ".join("stdin" if str(p) in _STDIN_NAMES else str(p) for p in paths)


def _no_input_found(paths) -> None:
    _fail(f"no input found: no Kubernetes manifests in {_input_names(paths)} (check the path; a directory is read "
          "for *.yaml, *.yml and *.json files)")


def _read_cluster(v: dict) -> list[tuple[str, bytes]]:
    """With --from-cluster: the cluster's objects as one input (``source/cluster.py``); a kubectl failure is a
    usage error quoting it (exit 2)."""
    if not v.get("from_cluster"):
        return []
    from ingress2gw.source.cluster import ClusterError, fetch_cluster

    namespaces = list(v.get("namespace") or [])
    try:
        read = fetch_cluster(context=v.get("context"), namespaces=[] if v.get("all_namespaces") else namespaces,
                             all_namespaces=bool(v.get("all_namespaces") or not namespaces))
    except ClusterError as e:
        _fail(str(e))
    for warning in read.warnings:
        sys.stderr.write(f"ingress2gw: warning: {warning}\n")
    return [(read.source, read.data)]


def _run(opts, inputs: list[tuple[str, bytes]] | None = None):
    """The pipeline's result, with a progress bar on stderr when it is a terminal and the run lasts; reading no
    document at all (an empty directory or file, nothing on stdin, an empty cluster) is a usage error naming the
    inputs, unless some input could not be read (that is reported, exit 2)."""
    from ingress2gw.pipeline import UsageError, run
    from ingress2gw.progress import ProgressBar

    documents: list[int] = []
    with ProgressBar() as bar:
        def progress(stage: str, done: int = 0, total=None) -> None:
            if stage == "reading the objects" and total is not None:
                documents.append(total)
            bar(stage, done, total)

        try:
            result = run(opts, stdin=sys.stdin.buffer if "-" in opts.paths and sys.stdin is not None else None,
                         progress=progress, inputs=inputs or ())
        except UsageError as e:
            _fail(str(e))
    if documents == [0] and not result.report.has_input_errors():
        _no_input_found(opts.paths or [inputs[0][0]] if inputs else opts.paths)
    return result


def _print_gate(gate, stream, *, sentence: bool = True) -> None:
    """The findings that tripped the gate: the worst ``GATE_LINES`` of them, one line each, and how many more."""
    if not gate.failing:
        return
    stream.write("".join(line + "\n" for line in gate.explain(GATE_LINES, sentence=sentence)))


def _check_report_path(path: Optional[Path]) -> None:
    """An unknown --report extension is a usage error before any work."""
    if path is None:
        return
    from ingress2gw.report.formats import format_for_path

    try:
        format_for_path(path)
    except ValueError as e:
        _fail(str(e))
    if path.is_dir():
        _fail(f"--report {path} is a directory")


def _check_output_dir(path: Optional[Path]) -> None:
    """--output-dir must be a directory or a path that can become one (checked before any work)."""
    if path is None:
        return
    if path.exists() and not path.is_dir():
        _fail(f"--output-dir {path} exists and is not a directory")
    parent = path.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        _fail(f"--output-dir {path}: {parent} is not a directory")


def _render_report(report, path: Path, opts, gate=None, baseline_used: bool = False) -> str:
    from ingress2gw.report.formats import format_for_path, render

    try:
        fmt = format_for_path(path)
    except ValueError as e:
        _fail(str(e))
    return render(report, fmt, tool_version=__version__, options=_public_options(opts), gate=gate,
                  baseline_used=baseline_used, full=True)  # a report file holds every finding


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

    config = _stdin_file(config)
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
    from ingress2gw.options import is_readable_file

    baseline = _stdin_file(baseline)
    if not is_readable_file(str(baseline)):
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


@app.command(cls=_PluginOptionsCommand, epilog=_examples(
    "ingress2gw convert examples/cluster.yaml > gateway.yaml",
    "ingress2gw convert examples/cluster.yaml -o gateway/ --report gateway/report.json",
    "ingress2gw convert examples/cluster.yaml -o gateway/ --prune     # remove files of earlier runs",
    "ingress2gw convert examples/cluster.yaml --emitter envoy-gateway --fail-on unsupported -q",
    "ingress2gw convert examples/cluster.yaml --validate --crds <(kubectl get crd -o yaml) > gateway.yaml",
    "kubectl get ingress -A -o yaml | ingress2gw convert - -n shop > shop.yaml"))
@_core_options
def convert(
    ctx: typer.Context,
    paths: Optional[List[str]] = PathsArg,
    output_dir: Optional[Path] = typer.Option(None, "--output-dir", "-o", metavar="DIR",
                                              help="Write one file per object here instead of stdout, and "
                                                   "DIR/.ingress2gw-manifest.json listing them."),
    prune: bool = typer.Option(False, "--prune", help="With --output-dir: remove the files an earlier run wrote "
                                                      "there (its manifest lists them) that this run does not."),
    fail_on: str = typer.Option("never", "--fail-on", metavar=FailOnMetavar,
                                help="Exit 1 when a finding is at or above this level."),
    report_file: Optional[Path] = ReportOpt,
    validate: bool = typer.Option(False, "--validate", help="Validate the output against the CRDs first."),
    crds: List[str] = typer.Option([], "--crds", metavar="PATH", help="CRDs for --validate: a directory, a file, - "
                                   "or <(kubectl get crd -o yaml) (repeatable)."),
    quiet: bool = QuietOpt, no_color: bool = NoColorOpt, config: Optional[Path] = ConfigOpt,
    **options,
) -> None:
    """Convert Ingress manifests to Gateway API manifests, with an audit of what could not be translated."""
    cfg, v = _load_config(ctx, paths, config, "convert")
    if crds and not validate:
        _fail("--crds is read only with --validate: add --validate, or drop --crds")
    if prune and output_dir is None:
        _fail("--prune removes stale files of --output-dir: add --output-dir DIR, or drop --prune")
    _check_conflicts(ctx, paths, v, {"--crds": crds, "--config": config})
    _check_fail_on(fail_on)
    _check_report_path(report_file)
    _check_output_dir(output_dir)
    opts = _options(paths, v, {"--crds": crds, "--config": config})
    result = _run(opts, _read_cluster(v))
    baseline_used = _suppress(result.report, cfg, None)
    from ingress2gw.output import write_objects

    invalid = 0
    if validate:
        from ingress2gw.validate.command import validate_objects

        invalid = validate_objects(result.objects, [_stdin_file(c) for c in crds], opts.target.version,
                                   opts.target.channel, sys.stderr)
        if invalid < 0:
            raise typer.Exit(EXIT_USAGE)
    gate = _gate(result.report, fail_on)
    # A report inside --output-dir is one more file of the output directory's all-or-nothing write.
    report_rel = _inside(report_file, output_dir) if report_file is not None and output_dir is not None else None
    extra = [] if report_rel is None else [(report_rel, _render_report(
        result.report, report_file, opts, gate if cfg is not None else None, baseline_used))]
    try:
        written = write_objects(result.objects, output_dir, sys.stdout, extra, prune=prune)
    except OSError as e:
        _fail(f"cannot write output: {e}")
    if report_file is not None and report_rel is None:
        _write_report(result.report, report_file, opts, gate if cfg is not None else None, baseline_used)
    if output_dir is not None and written is not None:
        _print_output_notes(output_dir, written)
    from ingress2gw.report.terminal import print_summary

    print_summary(result.report, stream=sys.stderr, color=_color(no_color), quiet=quiet)
    _print_gate(gate, sys.stderr)
    code = gate.exit_code
    raise typer.Exit(EXIT_FINDINGS if invalid and code == EXIT_OK else code)


def _print_output_notes(output_dir: Path, written) -> None:
    """Stale files of an earlier run (or the ones --prune removed): a count and the first few, on stderr."""
    def first(paths) -> str:
        shown = ", ".join(p.as_posix() for p in paths[:5])
        return shown + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")

    if getattr(written, "manifest_problem", None):
        typer.echo(f"ingress2gw: note: {written.manifest_problem}", err=True)
    stale, pruned = getattr(written, "stale", []), getattr(written, "pruned", [])
    if stale:
        typer.echo(f"ingress2gw: note: {len(stale)} stale file(s) in {output_dir} written by an earlier run and not "
                   f"by this one: {first(stale)} (--prune removes them)", err=True)
    if pruned:
        typer.echo(f"ingress2gw: removed {len(pruned)} stale file(s) from {output_dir}: {first(pruned)}", err=True)


@app.command(cls=_PluginOptionsCommand, epilog=_examples(
    "ingress2gw check examples/cluster.yaml",
    "ingress2gw check examples/cluster.yaml --fail-on lossy --format github",
    "ingress2gw check examples/cluster.yaml --report report.html --fail-on never",
    "ingress2gw check examples/cluster.yaml --write-baseline baseline.json",
    "ingress2gw check examples/cluster.yaml --baseline baseline.json",
    "kubectl get ingress -A -o yaml | ingress2gw check - -q"))
@_core_options
def check(
    ctx: typer.Context,
    paths: Optional[List[str]] = PathsArg,
    fail_on: str = typer.Option("unsupported", "--fail-on", metavar=FailOnMetavar,
                                help="Exit 1 when a finding is at or above this level."),
    fmt: str = typer.Option("text", "--format", metavar="[text|json|sarif|github|markdown|html]",
                            help="Output format on stdout."),
    full: bool = typer.Option(False, "--full", help="markdown: every finding (by default the Markdown fits a pull "
                                                    "request comment: the worst findings, then counts)."),
    report_file: Optional[Path] = ReportOpt, quiet: bool = typer.Option(
        False, "--quiet", "-q", help="text format: only the findings that fail the gate, one line each."),
    no_color: bool = NoColorOpt, config: Optional[Path] = ConfigOpt,
    baseline: Optional[Path] = typer.Option(None, "--baseline", metavar="FILE", help="Fail only on findings not "
                                            "recorded in this baseline file (see --write-baseline)."),
    write_baseline: Optional[Path] = typer.Option(None, "--write-baseline", metavar="FILE", help="Record the "
                                                  "current findings in FILE, to adopt the gate on an existing "
                                                  "repository."),
    **options,
) -> None:
    """Analyse the manifests without writing any; print the report and exit per --fail-on."""
    from ingress2gw.report.formats import FORMATS

    cfg, v = _load_config(ctx, paths, config, "check")
    if baseline is not None and write_baseline is not None:
        _fail("--baseline and --write-baseline conflict: --write-baseline records the findings and uses that file "
              "as the baseline; give one of them")
    _check_conflicts(ctx, paths, v, {"--baseline": baseline, "--config": config})
    if fmt not in FORMATS:
        _fail(f"--format must be one of {', '.join(FORMATS)}")
    _check_fail_on(v["fail_on"])
    _check_report_path(report_file)
    opts = _options(paths, v, {"--baseline": baseline, "--config": config})
    result = _run(opts, _read_cluster(v))
    report = result.report
    baseline_used = _suppress(report, cfg, baseline, write_baseline)
    gate = _gate(report, v["fail_on"])
    if fmt == "text":
        if quiet:
            sys.stdout.write("".join(f.parsable() + "\n" for f in gate.failing))
        else:
            from ingress2gw.report.terminal import render_terminal

            render_terminal(report, stream=sys.stdout, color=_color(no_color), gate=gate)
            _print_gate(gate, sys.stdout, sentence=False)
    else:
        from ingress2gw.report.formats import render

        sys.stdout.write(render(report, fmt, tool_version=__version__, options=_public_options(opts), gate=gate,
                                baseline_used=baseline_used, full=full))
        _print_gate(gate, sys.stderr)
    if report_file is not None:
        _write_report(report, report_file, opts, gate, baseline_used)
    raise typer.Exit(gate.exit_code)


def _check_fail_on(fail_on: str) -> None:
    """A usage error before any input is read."""
    from ingress2gw.report.gate import FAIL_ON_LEVELS

    if fail_on not in FAIL_ON_LEVELS:
        _fail(f"--fail-on must be one of {', '.join(FAIL_ON_LEVELS)}")


@app.command(cls=_Command, epilog=_examples(
    "ingress2gw annotations --provider ingress-nginx --status unsupported",
    "ingress2gw annotations --emitter envoy-gateway --format markdown"))
def annotations(
    provider: List[str] = typer.Option([], "--provider", metavar="PROVIDER",
                                       help="Only this provider (repeatable)."),
    status: List[str] = typer.Option([], "--status", metavar="STATUS",
                                     help="Only annotations with this status (repeatable)."),
    fmt: str = typer.Option("table", "--format", metavar="[table|json|markdown]", help="Output format."),
    emitter: str = typer.Option("standard", "--emitter", metavar="NAME",
                                help="Status as this target implementation handles it."),
) -> None:
    """The catalog: every annotation each provider knows, with its status, target and caveat."""
    from ingress2gw.catalog import render_catalog

    try:
        sys.stdout.write(render_catalog(list(provider), list(status), fmt, emitter=emitter))
    except ValueError as e:
        _fail(str(e))


@app.command(cls=_PluginOptionsCommand, epilog=_examples(
    "ingress2gw verify examples/cluster.yaml",
    "ingress2gw convert examples/cluster.yaml -o gateway/ && ingress2gw verify examples/cluster.yaml "
    "--gateway-manifests gateway/",
    "ingress2gw verify examples/cluster.yaml --format json > differences.json"))
@_core_options
def verify(
    ctx: typer.Context,
    paths: Optional[List[str]] = PathsArg,
    gateway_manifests: Optional[str] = typer.Option(
        None, "--gateway-manifests", metavar="PATH",
        help="Compare against these Gateway API manifests (a directory, a file, - or <(command)) instead of "
             "converting."),
    requests_file: Optional[str] = typer.Option(None, "--requests", metavar="FILE",
                                                help="YAML list of extra requests to replay."),
    fmt: str = typer.Option("text", "--format", metavar="[text|json|markdown]", help="Output format."),
    **options,
) -> None:
    """Replay requests through the source controller's semantics and the generated routes; report differences."""
    v = {**ctx.params, **ctx.meta.get(_PLUGIN_VALUES, {})}
    named = {"--gateway-manifests": gateway_manifests, "--requests": requests_file}
    _check_conflicts(ctx, paths, v, named)
    if requests_file is not None:
        from ingress2gw.options import is_readable_file

        if not is_readable_file(requests_file):
            _fail(f"--requests: {requests_file} is not a file")
    opts = _options(paths, v, named)
    inputs = _saved_streams(opts.paths) + _saved_cluster(_read_cluster(v))
    _check_inputs_found(inputs, shown=opts.paths)
    from dataclasses import replace

    opts = replace(opts, paths=inputs)
    from ingress2gw.verify.command import run_verify

    raise typer.Exit(run_verify(list(opts.paths), gateway_manifests=gateway_manifests,
                                requests_file=_stdin_file(requests_file), fmt=fmt, options=opts,
                                stdout=sys.stdout, stderr=sys.stderr))


_SCRATCH: list[str] = []


def _scratch_dir() -> str:
    """One temporary directory for the run's saved inputs (``verify``), removed when the process exits."""
    if not _SCRATCH:
        import atexit
        import shutil
        import tempfile

        _SCRATCH.append(tempfile.mkdtemp(prefix="ingress2gw-verify-"))
        atexit.register(shutil.rmtree, _SCRATCH[0], True)
    return _SCRATCH[0]


def _saved_cluster(inputs: list[tuple[str, bytes]]) -> list[str]:
    """``verify`` reads its inputs as files: the cluster's objects are saved to one, removed at exit."""
    import os

    out = []
    for source, data in inputs:
        path = os.path.join(_scratch_dir(), source.replace("/", "_").replace(":", "-") + ".json")
        with open(path, "wb") as fh:
            fh.write(data)
        out.append(path)
    return out


def _saved_streams(paths) -> list[str]:
    """``verify`` reads its inputs twice (the conversion, then the source controller's simulation): a stream named
    on the command line (``<(kubectl ...)``, ``/dev/stdin``, a named pipe) is saved to a temporary file first,
    removed when the process exits."""
    import os
    import stat

    from ingress2gw.source.loader import MAX_FILE_BYTES

    out: list[str] = []
    for i, path in enumerate(paths):
        try:
            mode = os.stat(path).st_mode if path != "-" else 0
        except OSError:
            mode = 0
        if not mode or stat.S_ISDIR(mode) or stat.S_ISREG(mode):
            out.append(path)
            continue
        dest = os.path.join(_scratch_dir(), f"{i}-{os.path.basename(path)}")
        try:
            with open(path, "rb") as src, open(dest, "wb") as dst:
                dst.write(src.read(MAX_FILE_BYTES + 1))
        except OSError as e:
            _fail(f"cannot read {path}: {e.strerror or e}")
        out.append(dest)
    return out


def _check_inputs_found(paths, shown=None) -> None:
    """Before ``verify`` runs: inputs that hold nothing (directories without manifest files, empty files, nothing on
    stdin) are a usage error naming them (``shown``: the names the user gave). stdin is read here and handed on."""
    import io
    import os
    import stat

    from ingress2gw.source.loader import MANIFEST_SUFFIXES

    found = False
    for path in paths:
        if path == "-":
            if sys.stdin is None:
                continue
            data = sys.stdin.buffer.read()
            sys.stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
            found |= bool(data.strip())
            continue
        try:
            st = os.stat(path)
        except OSError as e:  # the run reports it too (exit 2); name it here, where verify's output does not
            typer.echo(f"ingress2gw: error: cannot read {path}: {e.strerror or e}", err=True)
            found = True
            continue
        if stat.S_ISDIR(st.st_mode):
            for _root, dirs, files in os.walk(path, followlinks=True):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                if any(not f.startswith(".") and f.lower().endswith(MANIFEST_SUFFIXES) for f in files):
                    found = True
                    break
        elif not stat.S_ISREG(st.st_mode) or st.st_size > 0:
            found = True  # a stream (read once, by the run) or a file with content
    if not found:
        _no_input_found(shown if shown is not None else paths)


@app.command(cls=_Command, epilog=_examples(
    "ingress2gw convert examples/cluster.yaml -o gateway/ && ingress2gw validate gateway/ "
    "--crds <(kubectl get crd -o yaml)",
    "ingress2gw convert examples/cluster.yaml | ingress2gw validate - --crds standard-install.yaml",
    "kubectl get crd -o yaml | ingress2gw crds import - && ingress2gw validate gateway/"))
def validate(
    paths: Optional[List[str]] = PathsArg,
    crds: List[str] = CrdsOpt,
    gateway_api_version: str = VersionOpt, channel: str = ChannelOpt,
    fmt: str = typer.Option("text", "--format", metavar="[text|json]", help="Output format."),
) -> None:
    """Check manifests against CRD schemas and CEL rules, as the API server would. Files that hold no Kubernetes
    object (a JSON report, plain YAML data) are skipped with a note."""
    from ingress2gw.validate.command import run_validate

    if not paths:
        if sys.stdin is None or sys.stdin.isatty() or any(_reads_stdin(c) for c in crds):
            _fail("no input: give files or directories, or - to read stdin")
        paths = ["-"]
    _stdin_once(paths, {"--crds": crds})
    raise typer.Exit(run_validate(list(paths), list(crds), gateway_api_version, channel, fmt,
                                  sys.stdout, sys.stderr))


crds_app = typer.Typer(help="Manage the CRD bundles `validate` checks against.", no_args_is_help=True,
                       add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None,
                       context_settings=CONTEXT)
app.add_typer(crds_app, name="crds")


@crds_app.command("import", cls=_Command, epilog=_examples(
    "kubectl get crd -o yaml | ingress2gw crds import -",
    "ingress2gw crds import <(kubectl get crd -o yaml) --dest crds/",
    "ingress2gw crds import standard-install.yaml"))
def crds_import(
    sources: List[str] = typer.Argument(..., metavar="PATH", show_default=False,
                                        help="CRD YAML: directories, files, - or <(kubectl get crd -o yaml)."),
    project_version: Optional[str] = typer.Option(None, "--version", metavar="VERSION",
                                                  help="Version to file a non-Gateway-API bundle under "
                                                       "(e.g. v2.4.3)."),
    dest: Optional[str] = typer.Option(None, "--dest", metavar="DIR",
                                       help="Store to import into (default: the user cache)."),
) -> None:
    """Import CRDs (e.g. the official standard-install.yaml) into the store that validate searches."""
    from ingress2gw.validate.command import run_crds_import

    raise typer.Exit(run_crds_import(list(sources), project_version=project_version, dest=dest,
                                     stdout=sys.stdout, stderr=sys.stderr))


@app.command(cls=_Command, epilog=_examples("ingress2gw version"))
def version() -> None:
    """Tool version and supported Gateway API versions."""
    _version_callback(True)


COMPLETION_SHELLS = ("bash", "zsh", "fish", "powershell")


@app.command(cls=_Command, epilog=_examples(
    "source <(ingress2gw completion bash)",
    "ingress2gw completion bash > ~/.local/share/bash-completion/completions/ingress2gw",
    "ingress2gw completion zsh > \"${fpath[1]}/_ingress2gw\"",
    "ingress2gw completion fish > ~/.config/fish/completions/ingress2gw.fish"))
def completion(
    shell: str = typer.Argument(..., metavar="SHELL", show_default=False,
                                help="bash, zsh, fish or powershell."),
) -> None:
    """Print the shell completion script for SHELL (commands, options and their choices)."""
    if shell not in COMPLETION_SHELLS:
        _fail(f"completion: unknown shell {shell!r} (use {', '.join(COMPLETION_SHELLS)})")
    from typer._completion_shared import get_completion_script

    typer.echo(get_completion_script(prog_name="ingress2gw", complete_var="_INGRESS2GW_COMPLETE", shell=shell))


def main() -> None:
    import os

    if os.environ.get("_INGRESS2GW_COMPLETE"):  # a completion request from the script `completion SHELL` prints
        from typer._completion_classes import completion_init

        completion_init()
    try:
        app(complete_var="_INGRESS2GW_COMPLETE")  # the prog name stays as invoked (kubectl-ingress2gw too)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
