"""Build hook: with CHAT_COMPILE=1, mypyc compiles the per-line hot path (see server/compiled.py).

Everything else about the package is in pyproject.toml. ``make`` runs
``CHAT_COMPILE=1 python setup.py build_ext --inplace --force`` where a C compiler is present.
"""

import os
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext


def hot_path_extensions() -> list:  # type: ignore[type-arg]
    if os.environ.get("CHAT_COMPILE") != "1":
        return []
    from mypyc.build import mypycify

    from server.compiled import GROUP, SOURCES

    # A dotted group name puts the group's library inside the server package (a top-level
    # module would not be importable through an editable install's finder).
    return mypycify([str(source.relative_to(os.getcwd())) for source in SOURCES], opt_level="3",
                    group_name=GROUP)


class BuildAndRecord(build_ext):  # type: ignore[misc]
    """build_ext, then the manifest of what was compiled, which the import guard checks."""

    def run(self) -> None:
        super().run()
        if self.extensions:
            from server.compiled import MANIFEST, write_manifest

            target = MANIFEST if self.inplace else Path(self.build_lib) / "server" / MANIFEST.name
            write_manifest(target)


setup(ext_modules=hot_path_extensions(), cmdclass={"build_ext": BuildAndRecord})
