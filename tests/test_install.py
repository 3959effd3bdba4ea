"""Install and release path: the sdist and wheel `make dist` builds, a fresh install of the wheel, the kubectl
plugin, the GitHub Action (action.yml) and the single source of the version."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
import yaml

import ingress2gw

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "cluster.yaml"
VERSION = ingress2gw.__version__
CONSOLE_SCRIPTS = ("ingress2gw", "kubectl-ingress2gw")


def run(cmd, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 600)
    return subprocess.run([str(c) for c in cmd], **kw)


def repo_exit_code(*args: str) -> int:
    """What the development install returns for `ingress2gw ARGS`, run from the repository root."""
    r = run([sys.executable, "-m", "ingress2gw", *args], cwd=REPO)
    assert r.returncode in (0, 1), r.stderr
    return r.returncode


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """The sdist and wheel, built as `make dist` builds them (python -m build)."""
    try:
        import build  # noqa: F401
    except ImportError:
        pytest.skip("the `build` package is not installed: pip install -e '.[test]' (it is in the test extra)")
    out = tmp_path_factory.mktemp("dist")
    r = run([sys.executable, "-m", "build", "--outdir", out, REPO])
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return out


def the_wheel(dist: Path) -> Path:
    wheels = list(dist.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


# 1. The release artefacts --------------------------------------------------------------------------------------

def test_build_produces_sdist_and_wheel_that_twine_accepts(dist: Path):
    assert (dist / f"ingress2gw-{VERSION}.tar.gz").is_file()
    assert (dist / f"ingress2gw-{VERSION}-py3-none-any.whl").is_file()
    try:
        import twine  # noqa: F401
    except ImportError:
        pytest.skip("the `twine` package is not installed: pip install -e '.[test]' (it is in the test extra)")
    r = run([sys.executable, "-m", "twine", "check", "--strict", *sorted(dist.iterdir())])
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("PASSED") == 2, r.stdout


def test_wheel_holds_the_packages_templates_and_entry_points(dist: Path):
    with zipfile.ZipFile(the_wheel(dist)) as whl:
        names = set(whl.namelist())
        info = f"ingress2gw-{VERSION}.dist-info"
        entry_points = whl.read(f"{info}/entry_points.txt").decode()
        metadata = whl.read(f"{info}/METADATA").decode()
    for package in ("ingress2gw", "ingress2gw_nginx", "ingress2gw_traefik"):
        assert f"{package}/__init__.py" in names, package
    assert "ingress2gw/cli.py" in names
    # Every template in the source tree is shipped (the HTML report renders from them).
    templates = sorted((REPO / "src/ingress2gw/report/templates").iterdir())
    assert templates
    for template in templates:
        assert f"ingress2gw/report/templates/{template.name}" in names
    # Nothing from the tests, fixtures or the development tree ends up in the wheel.
    assert not [n for n in names if n.startswith(("tests/", "fixtures/", "src/", "providers/"))]

    sections = _entry_point_sections(entry_points)
    for script in CONSOLE_SCRIPTS:
        assert sections["console_scripts"].get(script) == "ingress2gw.cli:main", script
    assert set(sections["ingress2gw.providers"]) == {"ingress-nginx", "traefik"}
    assert {"standard", "kgateway", "envoy-gateway", "nginx-gateway-fabric", "istio", "traefik"} <= set(
        sections["ingress2gw.emitters"])
    assert f"Version: {VERSION}" in metadata
    assert "Requires-Python: >=3.11" in metadata


def _entry_point_sections(text: str) -> dict[str, dict[str, str]]:
    sections: dict[str, dict[str, str]] = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
        elif line and current is not None:
            key, _, value = line.partition("=")
            current[key.strip()] = value.strip()
    return sections


# 2. A fresh install of the wheel, run from another folder -----------------------------------------------------

@pytest.mark.slow
def test_wheel_installs_into_a_fresh_venv_and_runs_from_another_folder(dist: Path, tmp_path: Path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    r = run([bin_dir / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             the_wheel(dist)])
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]

    work = tmp_path / "elsewhere"
    work.mkdir()
    # Only the fresh environment's scripts, never the development install's.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"])
    env["NO_COLOR"] = "1"

    def tool(*args):
        return run([bin_dir / args[0], *args[1:]], cwd=work, env=env)

    for script in CONSOLE_SCRIPTS:
        r = tool(script, "--version")
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith(f"ingress2gw {VERSION} "), r.stdout

    # The package is imported from the fresh environment, not from the checkout.
    r = tool("python", "-c", "import ingress2gw, ingress2gw_nginx, ingress2gw_traefik; print(ingress2gw.__file__)")
    assert r.returncode == 0, r.stderr
    assert str(env_dir) in r.stdout and str(REPO) not in r.stdout

    r = tool("ingress2gw", "convert", EXAMPLE, "-q")
    assert r.returncode == repo_exit_code("convert", "examples/cluster.yaml", "-q"), r.stderr
    assert "kind: HTTPRoute" in r.stdout and "kind: Gateway" in r.stdout

    # Providers come from the wheel's entry points.
    r = tool("ingress2gw", "annotations", "--provider", "traefik")
    assert r.returncode == 0, r.stderr
    assert "traefik.ingress.kubernetes.io/router.entrypoints" in r.stdout
    r = tool("ingress2gw", "annotations", "--provider", "ingress-nginx")
    assert r.returncode == 0, r.stderr
    assert "nginx.ingress.kubernetes.io/rewrite-target" in r.stdout

    # The report template is shipped: the HTML report renders from the installed package.
    r = tool("ingress2gw", "check", EXAMPLE, "--format", "html", "--fail-on", "never")
    assert r.returncode == 0, r.stderr
    assert r.stdout.lstrip().lower().startswith("<!doctype html")

    # The kubectl plugin: kubectl finds kubectl-ingress2gw on PATH (no cluster needed).
    kubectl = shutil.which("kubectl")
    if kubectl:
        r = run([kubectl, "ingress2gw", "--version"], cwd=work, env=env)
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith(f"ingress2gw {VERSION} ")
    # Usage names the program as it was invoked (click takes argv[0]).
    r = tool("kubectl-ingress2gw", "convert", "--no-such-flag")
    assert r.returncode == 2
    assert "Usage: kubectl-ingress2gw convert" in r.stderr


# 3. The GitHub Action -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def action() -> dict:
    return yaml.safe_load((REPO / "action.yml").read_text())


def _step(action: dict, step_id: str) -> dict:
    steps = [s for s in action["runs"]["steps"] if s.get("id") == step_id]
    assert len(steps) == 1, step_id
    return steps[0]


def test_action_is_a_composite_that_installs_itself_checks_uploads_and_fails_last(action: dict):
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    inputs = action["inputs"]
    assert {"paths", "fail-on", "args", "python-version", "upload-sarif", "job-summary"} <= set(inputs)

    install = _step(action, "install")
    assert "${{ github.action_path }}" in install["env"].values()
    assert "pip install" in install["run"]

    check = _step(action, "check")
    assert re.search(r"^\s*ingress2gw check ", check["run"], re.M)
    assert "$GITHUB_STEP_SUMMARY" in check["run"] and "$GITHUB_OUTPUT" in check["run"]
    assert "--format markdown --report" in check["run"]
    # Logic lives in bash: inputs reach the scripts through env, never through expressions in the script.
    for step in steps:
        assert "${{" not in step.get("run", ""), step.get("name")
        assert step.get("shell", "bash") == "bash"

    index = {id(s): i for i, s in enumerate(steps)}
    upload = [s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@")]
    assert len(upload) == 1
    assert upload[0]["if"].startswith("always()") and "inputs.upload-sarif" in upload[0]["if"]
    assert upload[0]["with"]["sarif_file"] == "${{ steps.check.outputs.sarif-file }}"

    last = steps[-1]
    assert last["if"].startswith("always()")
    assert last["env"]["CHECK_EXIT_CODE"] == "${{ steps.check.outputs.exit-code }}"
    assert 'exit "$CHECK_EXIT_CODE"' in last["run"]
    assert index[id(check)] < index[id(upload[0])] < index[id(last)]
    assert action["outputs"]["exit-code"]["value"] == "${{ steps.check.outputs.exit-code }}"


def _step_env(step: dict, action: dict, given: dict[str, str], install_bin: str) -> dict[str, str]:
    """The step's env with the expressions GitHub would evaluate: inputs (given, else default) and the install
    step's output."""

    def value(expr: str) -> str:
        m = re.fullmatch(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", expr)
        if m:
            name = m.group(1)
            return given.get(name, str(action["inputs"][name].get("default", "")))
        assert expr == "${{ steps.install.outputs.bin }}", expr
        return install_bin

    return {k: value(v) for k, v in step.get("env", {}).items()}


def _run_step(step: dict, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    # GitHub runs `shell: bash` steps as `bash --noprofile --norc -eo pipefail {0}`.
    script = cwd / f"step-{step['id'] if 'id' in step else 'last'}.sh"
    script.write_text(step["run"])
    return run(["bash", "--noprofile", "--norc", "-eo", "pipefail", script], cwd=cwd, env=env)


def _installed_bin() -> str:
    here = Path(sys.executable).parent
    if (here / "ingress2gw").exists():
        return str(here)
    found = shutil.which("ingress2gw")
    if not found:
        pytest.skip("no ingress2gw script on PATH or next to the interpreter: pip install -e .")
    return str(Path(found).parent)


@pytest.mark.parametrize("given", [{}, {"fail-on": "never", "args": "--emitter kgateway\n--no-color",
                                        "annotations": "true", "sarif-file": "out/report.sarif"}],
                         ids=["defaults", "inputs"])
def test_action_check_step_runs_locally(action: dict, tmp_path: Path, given: dict):
    work = tmp_path / "workspace"
    (work / ".git").mkdir(parents=True)   # the repository root: .ingress2gw.yaml is not looked for above it
    (work / "manifests").mkdir()
    (work / "out").mkdir()
    shutil.copy(EXAMPLE, work / "manifests" / "cluster.yaml")
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    summary, output = tmp_path / "step-summary.md", tmp_path / "github-output"
    summary.write_text("")
    output.write_text("")

    given = {"paths": "manifests/cluster.yaml", **given}
    check = _step(action, "check")
    env = {**os.environ, "RUNNER_TEMP": str(runner_temp), "GITHUB_STEP_SUMMARY": str(summary),
           "GITHUB_OUTPUT": str(output), "NO_COLOR": "1",
           **_step_env(check, action, given, _installed_bin())}
    r = _run_step(check, env, work)
    assert r.returncode == 0, r.stdout + r.stderr   # the verdict is saved, not raised, by this step

    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    expected = 0 if given.get("fail-on") == "never" else repo_exit_code("check", "examples/cluster.yaml")
    assert outputs["exit-code"] == str(expected)

    sarif_path = Path(outputs["sarif-file"])
    if "sarif-file" in given:
        assert sarif_path == Path(given["sarif-file"])
        sarif_path = work / sarif_path
    else:
        assert sarif_path.parent == runner_temp / "ingress2gw"
    sarif = json.loads(sarif_path.read_text())
    assert sarif["version"] == "2.1.0"
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for res in sarif["runs"][0]["results"] for loc in res.get("locations", [])}
    assert uris == {"manifests/cluster.yaml"}   # relative to the workspace, as code scanning wants

    text = summary.read_text()
    assert text.lstrip().startswith("#") and f"ingress2gw {VERSION}" in text   # the Markdown report
    assert Path(outputs["markdown-file"]).read_text() == text
    if "kgateway" in given.get("args", ""):
        assert "kgateway" in text
    if given.get("annotations") == "true":
        assert "::warning file=manifests/cluster.yaml" in r.stdout or "::error file=manifests/cluster.yaml" in r.stdout
    else:
        assert "::warning " not in r.stdout and "::error " not in r.stdout

    # The last step turns the saved code into the job's verdict.
    last = action["runs"]["steps"][-1]
    r = _run_step(last, {**os.environ, "CHECK_EXIT_CODE": outputs["exit-code"]}, tmp_path)
    assert r.returncode == expected, r.stdout + r.stderr


@pytest.mark.slow
def test_action_install_step_installs_the_checkout(action: dict, tmp_path: Path):
    """What `uses: <owner>/ingress2gw@<tag>` does first: pip install of the action's own checkout (the same as
    `pip install .` from a checkout) into a virtual environment under $RUNNER_TEMP."""
    install = _step(action, "install")
    output = tmp_path / "github-output"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update({"RUNNER_TEMP": str(tmp_path), "GITHUB_OUTPUT": str(output),
                "INGRESS2GW_SOURCE": str(REPO), "INGRESS2GW_PYTHON": sys.executable})
    assert set(install["env"]) == {"INGRESS2GW_SOURCE", "INGRESS2GW_PYTHON"}
    work = tmp_path / "workspace"
    work.mkdir()
    r = _run_step(install, env, work)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert r.stdout.startswith(f"ingress2gw {VERSION} ")
    bin_dir = Path(output.read_text().strip().removeprefix("bin="))
    assert bin_dir == tmp_path / "ingress2gw-venv" / "bin"
    for script in CONSOLE_SCRIPTS:
        r = run([bin_dir / script, "annotations", "--provider", "traefik"], cwd=work, env=env)
        assert r.returncode == 0, r.stderr


def test_action_check_step_reports_unreadable_input_as_exit_2(action: dict, tmp_path: Path):
    (tmp_path / ".git").mkdir()
    output, summary = tmp_path / "out", tmp_path / "summary"
    check = _step(action, "check")
    env = {**os.environ, "RUNNER_TEMP": str(tmp_path), "GITHUB_STEP_SUMMARY": str(summary),
           "GITHUB_OUTPUT": str(output),
           **_step_env(check, action, {"paths": "missing.yaml", "upload-sarif": "false"}, _installed_bin())}
    r = _run_step(check, env, tmp_path)
    assert r.returncode == 0, r.stderr
    assert "exit-code=2" in output.read_text().splitlines()
    r = _run_step(action["runs"]["steps"][-1], {**os.environ, "CHECK_EXIT_CODE": "2"}, tmp_path)
    assert r.returncode == 2 and "::error" in r.stdout


# 4. One version --------------------------------------------------------------------------------------------

def test_version_comes_from_one_place(dist: Path):
    r = run([sys.executable, "-m", "ingress2gw", "--version"])
    assert r.returncode == 0 and VERSION in r.stdout.split()
    assert the_wheel(dist).name == f"ingress2gw-{VERSION}-py3-none-any.whl"
    changelog = (REPO / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[{re.escape(VERSION)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.M), \
        f"CHANGELOG.md has no '## [{VERSION}] - YYYY-MM-DD' heading"
    assert re.search(r"^## \[Unreleased\]$", changelog, re.M)
    # Only __init__.py holds the number: pyproject reads it from there.
    pyproject = (REPO / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject
    assert 'path = "src/ingress2gw/__init__.py"' in pyproject
    assert not re.search(r'^version\s*=', pyproject, re.M)
