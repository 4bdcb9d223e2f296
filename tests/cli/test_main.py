"""The `vorder` console command: Django's commands plus vorder's own, each with --help."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

VORDER = [sys.executable, "-m", "vorder.cli.main"]
OWN_COMMANDS = [
    path.stem
    for path in (Path(__file__).resolve().parents[2] / "src/vorder/cli/management/commands").glob(
        "*.py"
    )
    if not path.stem.startswith("_")
]


def vorder(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VORDER_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [*VORDER, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_vorder_lists_django_and_its_own_commands(tmp_path):
    result = vorder("help", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "migrate" in result.stdout
    for command in OWN_COMMANDS:
        assert command in result.stdout


@pytest.mark.parametrize("command", OWN_COMMANDS)
def test_every_own_command_has_help(command, tmp_path):
    result = vorder(command.replace("_", "-"), "--help", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "usage: vorder" in result.stdout
