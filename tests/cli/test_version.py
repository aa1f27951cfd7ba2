"""`timebill --version`: the version a user reports with a bug, the one the package was
installed as (written once, in timebill/core/__init__.py; pyproject.toml reads it from there)."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pytest
from timebill.tui.main import main


def test_version_prints_the_installed_version_and_exits_0(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    out, err = capsys.readouterr()
    assert out == "timebill 0.1.0\n"
    assert err == ""
    assert out.split()[1] == importlib.metadata.version("timebill")


def test_version_needs_no_config_and_no_textual(tmp_path):
    script = (
        "import sys\n"
        "from timebill.core.cli.main import main\n"
        "try:\n"
        "    main(['--version'])\n"
        "except SystemExit as stop:\n"
        "    assert stop.code == 0\n"
        "assert 'textual' not in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={"TIMEBILL_CONFIG": str(tmp_path / "nowhere" / "config.toml"), "PATH": ""},
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "timebill 0.1.0\n", "")
