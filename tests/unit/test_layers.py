"""The layers import downwards only: nothing below app.py imports it, the dispatch package
does not reach back into the start-up code, and the domain knows no sockets or dispatch."""

from __future__ import annotations

import ast
from pathlib import Path

import server

ROOT = Path(server.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, as absolute names (relative imports resolved)."""
    package = ".".join(("server", *path.relative_to(ROOT).with_suffix("").parts[:-1]))
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def offenders(package: str, forbidden: tuple[str, ...]) -> list[str]:
    out = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for module in imported_modules(path):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                out.append(f"{path.relative_to(ROOT)} imports {module}")
    return out


def test_nothing_imports_the_app_but_the_command_line() -> None:
    users = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py")
             if any(m == "server.app" or m.startswith("server.app.") for m in imported_modules(p))]
    assert users == ["cli.py"]


def test_the_domain_and_protocol_know_no_dispatch_delivery_or_start_up() -> None:
    forbidden = ("server.dispatch", "server.delivery", "server.app", "server.wiring", "server.shared", "socket",
                 "selectors", "ssl")
    assert offenders("domain", forbidden) == []
    assert offenders("protocol", forbidden) == []
