"""The type checker is part of the build: mypy (configured in pyproject.toml) finds no error in
src/openseqr -- strict on core, protocol and sdk, standard elsewhere."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_mypy_finds_no_errors():
    result = subprocess.run(
        [sys.executable, "-m", "mypy"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
