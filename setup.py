"""Build hook: with CHAT_COMPILE=1, mypyc compiles the per-line hot path (see server/compiled.py).

Everything else about the package is in pyproject.toml. ``make`` runs
``CHAT_COMPILE=1 python setup.py build_ext --inplace --force`` where a C compiler is present.
"""

import os

from setuptools import setup


def hot_path_extensions() -> list:  # type: ignore[type-arg]
    if os.environ.get("CHAT_COMPILE") != "1":
        return []
    from mypyc.build import mypycify

    from server.compiled import SOURCES

    # The group's shared library goes inside the server package (a top-level module would not be
    # importable through an editable install's finder, only from the checkout's own directory).
    return mypycify([str(source.relative_to(os.getcwd())) for source in SOURCES], opt_level="3",
                    group_name="server.hot_path")


setup(ext_modules=hot_path_extensions())
