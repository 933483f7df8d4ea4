"""The wheel is the whole service: built, installed (not editable) into a fresh virtual
environment and run from another directory, it simulates a scenario and serves its pages,
with the message templates, page templates and static files read from the package."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "docs" / "scenarios" / "parenting-no-response.yaml"


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the built wheel. Its dependencies come from the test venv's
    site-packages by a path line, which (unlike the editable install's own .pth files
    there) puts no source tree on the path."""
    where = tmp_path_factory.mktemp("package")
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--wheel-dir",
        where / "dist",
        REPO,
        cwd=where,
    )
    (wheel,) = (where / "dist").glob("familyflow-*.whl")
    venv = where / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=where)
    fresh = Path(
        run(
            venv / "bin" / "python",
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            cwd=where,
        ).strip()
    )
    run(sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install",
        "--quiet", "--no-deps", "--no-index", wheel, cwd=where)  # fmt: skip
    (fresh / "zz_familyflow_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"])
    return venv


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FAMILYFLOW_", "PYTHON"))}
    return {**env, **extra}


def test_the_installed_wheel_reads_its_templates_from_the_package_not_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    where = run(
        installed / "bin" / "python",
        "-c",
        "import familyflow, templates; print(familyflow.__file__); print(templates.DIRECTORY)",
        cwd=tmp_path,
        env=clean_env(),
    )
    for line in where.split():
        assert Path(line).is_relative_to(installed), where
    shipped = Path(where.split()[1])
    assert (shipped / "_layout.email.txt").is_file()
    assert list((shipped / "web").glob("*.html"))


def test_the_installed_wheel_simulates_a_shipped_scenario_from_another_directory(
    installed: Path, tmp_path: Path
) -> None:
    out = run(installed / "bin" / "familyflow", "simulate", SCENARIO, cwd=tmp_path, env=clean_env())
    assert "[PAR-04]" in out
    assert out.rstrip().endswith("final state: closed")


def test_the_installed_wheel_serves_its_pages_and_is_ready(installed: Path, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = clean_env(
        FAMILYFLOW_DATABASE_URL=f"sqlite:///{tmp_path / 'familyflow.db'}",
        FAMILYFLOW_OUTBOX_DIR=str(tmp_path / "outbox"),
    )
    server = subprocess.Popen(
        [str(installed / "bin" / "familyflow"), "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        ready = _wait_until_ready(server, f"http://127.0.0.1:{port}")
        assert ready.json()["status"] == "ready"
        page = httpx.get(f"http://127.0.0.1:{port}/login", timeout=10)
        assert page.status_code == 200
        assert "Sign in" in page.text
        css = httpx.get(f"http://127.0.0.1:{port}/static/govuk/govuk-frontend.min.css", timeout=10)
        assert css.status_code == 200
        for vendored in ("vendor/mermaid/mermaid.min.js", "vendor/mermaid/LICENSE"):  # issue 10
            served = httpx.get(f"http://127.0.0.1:{port}/static/{vendored}", timeout=10)
            assert served.status_code == 200, vendored
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout:
            server.stdout.close()


def _wait_until_ready(server: subprocess.Popen[str], base: str) -> httpx.Response:
    for _ in range(300):
        try:
            response = httpx.get(f"{base}/readyz", timeout=1)
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code == 200:
            return response
        try:  # waits a moment, and notices a server that died
            server.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            continue
        pytest.fail(f"familyflow serve stopped: {server.stdout.read() if server.stdout else ''}")
    pytest.fail("familyflow serve never became ready")
