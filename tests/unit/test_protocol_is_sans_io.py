"""The protocol core imports no sockets, threads, selectors or clocks."""

from __future__ import annotations

import ast
from pathlib import Path

import server.protocol

FORBIDDEN = {"socket", "threading", "selectors", "time", "asyncio", "multiprocessing", "select", "ssl"}


def test_protocol_package_imports_no_io() -> None:
    root = Path(server.protocol.__file__).parent
    offenders = []
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {name}" for name in names if name.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_public_names_are_exported() -> None:
    for name in server.protocol.__all__:
        assert hasattr(server.protocol, name)
