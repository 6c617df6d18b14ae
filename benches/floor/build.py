"""Build the floor extension (`floor.c`) into `benches/floor/build/`, on demand.

    python benches/floor/build.py        # build (or rebuild if floor.c changed)

`load()` builds in a subprocess when needed (so setuptools never runs inside the pytest
process) and imports the module from the build directory. Nothing is installed.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import sysconfig
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "floor.c"
BUILD_DIR = HERE / "build"
MODULE = "_floor"


def artifact() -> Path:
    return BUILD_DIR / f"{MODULE}{sysconfig.get_config_var('EXT_SUFFIX')}"


def is_stale() -> bool:
    built = artifact()
    return not built.exists() or built.stat().st_mtime < SOURCE.stat().st_mtime


def build() -> Path:
    """Compile floor.c with the interpreter's own compiler flags (setuptools)."""
    from setuptools import Distribution, Extension  # type: ignore[import-untyped]

    extension = Extension(MODULE, sources=[str(SOURCE)], extra_compile_args=["-O2"])
    dist = Distribution({"name": "usage-analytics-bench-floor", "ext_modules": [extension]})
    dist.script_name = "build.py"
    command = dist.get_command_obj("build_ext")
    command.build_lib = str(BUILD_DIR)
    command.build_temp = str(BUILD_DIR / "tmp")
    command.inplace = False
    dist.run_command("build_ext")
    return artifact()


def load() -> ModuleType:
    """Import the floor module, building it first if it is missing or stale."""
    if is_stale():
        done = subprocess.run(
            [sys.executable, str(Path(__file__).resolve())],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"building the floor extension failed:\n{done.stdout}{done.stderr}")
    spec = importlib.util.spec_from_file_location(MODULE, artifact())
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the floor extension from {artifact()}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    print(build())
