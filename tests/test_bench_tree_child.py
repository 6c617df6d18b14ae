"""`benches/tree_child.run_child`, the child Python process of the benches that race two
builds or cap a child's address space (memory_caps, batch_memory_caps,
memory_caps_sweep): it imports the tree it is given, gets its arguments, and hands back
its output, errors and exit status whatever they are; a hang is the caller's to name."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import ModuleType

import pytest
from example_scripts import load_script

BENCHES = Path(__file__).resolve().parent.parent / "benches"


@pytest.fixture(scope="module")
def tree_child() -> ModuleType:
    return load_script("bench_tree_child", BENCHES / "tree_child.py")


def test_the_child_imports_the_given_tree_and_gets_its_arguments(
    tree_child: ModuleType, tmp_path: Path
) -> None:
    (tmp_path / "usage_analytics").mkdir()
    (tmp_path / "usage_analytics" / "__init__.py").write_text("WHERE = 'the given tree'\n")
    source = "import sys, usage_analytics\nprint(usage_analytics.WHERE, sys.argv[1:])"
    done = tree_child.run_child(source, ["a", "b c"], tree=str(tmp_path), timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "the given tree ['a', 'b c']\n", "")


def test_a_failing_child_is_handed_back_not_raised(tree_child: ModuleType) -> None:
    source = "import sys\nprint('out')\nsys.exit('gone')"
    done = tree_child.run_child(source, [], tree=tree_child.THIS_TREE, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (1, "out\n", "gone\n")


def test_a_hang_raises_timeout_expired(tree_child: ModuleType) -> None:
    with pytest.raises(subprocess.TimeoutExpired):
        tree_child.run_child("import time\ntime.sleep(60)", [], tree="", timeout=0.5)


def test_this_tree_is_the_checkouts_python_directory(tree_child: ModuleType) -> None:
    assert Path(tree_child.THIS_TREE) == BENCHES.parent / "python"
