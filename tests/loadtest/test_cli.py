"""The command line: help, JSON, exit status on loss, the plot (or the message when matplotlib is missing)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from loadtest.cli import main

from .conftest import RunningRelay


def test_help_lists_workloads() -> None:
    out = subprocess.run([sys.executable, "-m", "loadtest", "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0
    for word in ("connect", "fanout", "rooms", "idle", "churn", "--json", "--plot", "--procs"):
        assert word in out.stdout


@pytest.mark.timeout(30)
def test_clean_run_exits_zero_and_writes_json(relay: RunningRelay, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run.json"
    code = main(["-w", "fanout", "--port", str(relay.port), "-c", "10", "-s", "2", "-m", "10", "--procs", "2",
                 "--no-progress", "--json", str(out)])
    assert code == 0
    data = json.loads(out.read_text())
    assert data["params"]["clients"] == 10 and data["params"]["workload"] == "fanout"
    assert data["figures"]["delivered"] == 20 * 9 and data["ok"] is True
    assert "p99_ms" in data["latency"]["latency"]
    assert "deliveries/s" in capsys.readouterr().out


@pytest.mark.timeout(30)
def test_loss_gives_nonzero_exit(make_relay: Callable[..., Any], capsys: pytest.CaptureFixture[str]) -> None:
    with make_relay("--drop-every", "3") as relay:
        code = main(["-w", "fanout", "--port", str(relay.port), "-c", "6", "-s", "2", "-m", "10", "--procs", "2",
                     "--no-progress", "--drain", "0.5"])
    assert code == 1
    assert "FAILED" in capsys.readouterr().out


@pytest.mark.timeout(30)
def test_plot(relay: RunningRelay, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "lat.png"
    code = main(["-w", "fanout", "--port", str(relay.port), "-c", "6", "-s", "2", "-m", "10", "--procs", "2",
                 "--no-progress", "--plot", str(png)])
    if importlib.util.find_spec("matplotlib") is None:
        assert code == 2
        assert "pip install" in capsys.readouterr().err
        assert not png.exists()
    else:
        assert code == 0
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["-w", "fanout", "-c", "2", "-s", "5"])
    assert exc.value.code == 2
