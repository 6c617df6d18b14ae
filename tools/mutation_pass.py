"""A mutation pass over one module: which small changes of its code no test notices.

    PYTHONPATH=python .venv/bin/python tools/mutation_pass.py \\
        python/usage_analytics/html_report.py tests/test_html_*.py [--jobs 2] [--json out.json]

Each mutant is one change of the module's syntax tree (the operators below: comparisons
flipped at their boundary or negated, arithmetic swapped, numbers moved by one, strings
marked, `and`/`or` swapped, a `not` or a condition inverted, a statement dropped, a
return of None, `min`/`max` swapped, a keyword argument dropped). A mutant is run against
the tests that execute its line (found by one traced run of the given test files; the
module's top level, run at import, against all of them), stopping at the first failure.
A mutant no test fails "survives": either a test is missing or the change is equivalent.

Speed: the module, its package and the test tools are imported once; each mutant runs in
a forked child that executes the mutated code in place of the module's and repoints every
name other modules imported from it; a test that fails there is run again in a fresh
process on the mutant written out, and only a failure there kills it; a mutant every
test passes in the fork is run fresh too before it counts as a survivor, and one still
running at `--timeout` is no kill: it is run fresh with four times as long, "undecided"
if still running then. Property tests run hypothesis's `ci` examples unshrunk (the
`mutation` profile, tests/conftest.py): shrinking a failure can take longer than the
timeout, which left mutants a property test kills "undecided". Progress goes to stderr.
(Hand-rolled:
mutmut is not a dependency, and its trampolines change what `inspect` and pydantic see
of the functions.)
"""

from __future__ import annotations

import argparse
import ast
import copy
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

_MARK = "XX"
_SWAPPED_COMPARISONS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
_SWAPPED_OPERATORS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv,
    ast.Pow: ast.Mult,
}


@dataclass(frozen=True)
class Mutant:
    index: int
    line: int
    description: str
    top_level: bool


class _Mutator(ast.NodeTransformer):
    """Enumerates the mutation sites in source order; with `target`, applies that one."""

    def __init__(self, target: int | None = None) -> None:
        self.target = target
        self.sites: list[tuple[int, str, bool]] = []
        self._depth = 0  # functions entered: 0 is code run at import

    def _site(self, node: ast.AST, description: str) -> bool:
        """Record a site; true if it is the one to apply."""
        self.sites.append((getattr(node, "lineno", 0), description, self._depth == 0))
        return len(self.sites) - 1 == self.target

    # Scopes; annotations and docstrings are not code a test can tell.
    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
        # (Defaults are evaluated where the function is defined: code run at import.)
        node.args.defaults = [self.visit(default) for default in node.args.defaults]
        node.args.kw_defaults = [
            None if default is None else self.visit(default) for default in node.args.kw_defaults
        ]
        self._depth += 1
        node.body = self._body(node.body)
        self._depth -= 1
        return node

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        node.body = self._body(node.body)
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if node.value is not None:
            node.value = self.visit(node.value)
        return node

    def visit_Module(self, node: ast.Module) -> ast.AST:
        node.body = self._body(node.body)
        return node

    def _body(self, body: list[ast.stmt]) -> list[ast.stmt]:
        start = 1 if body and _is_docstring(body[0]) else 0
        kept = body[:start]
        for statement in body[start:]:
            if isinstance(statement, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in statement.targets
            ):
                kept.append(statement)
                continue
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                kept.append(statement)
                continue
            droppable = isinstance(statement, (ast.Expr, ast.Raise, ast.AugAssign))
            if droppable and self._site(statement, "statement dropped"):
                kept.append(ast.copy_location(ast.Pass(), statement))
                continue
            kept.append(self.visit(statement))
        return kept or [ast.Pass()]

    # Operators.
    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        for position, op in enumerate(node.ops):
            swapped = _SWAPPED_COMPARISONS.get(type(op))
            if swapped and self._site(node, f"{type(op).__name__} -> {swapped.__name__}"):
                node.ops[position] = swapped()
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        swapped = _SWAPPED_OPERATORS.get(type(node.op))
        if swapped and self._site(node, f"{type(node.op).__name__} -> {swapped.__name__}"):
            node.op = swapped()
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        swapped = _SWAPPED_OPERATORS.get(type(node.op))
        if swapped and self._site(node, f"{type(node.op).__name__}= -> {swapped.__name__}="):
            node.op = swapped()
        return node

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        self.generic_visit(node)
        other = ast.Or if isinstance(node.op, ast.And) else ast.And
        if self._site(node, f"{type(node.op).__name__} -> {other.__name__}"):
            node.op = other()
        return node

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.Not) and self._site(node, "not dropped"):
            return node.operand
        if isinstance(node.op, ast.USub) and self._site(node, "unary minus dropped"):
            return node.operand
        return node

    def _negate_test(self, node: ast.If | ast.IfExp | ast.While) -> None:
        if self._site(node.test, "condition negated"):
            node.test = ast.UnaryOp(op=ast.Not(), operand=node.test)

    def visit_If(self, node: ast.If) -> ast.AST:
        self.generic_visit(node)
        self._negate_test(node)
        return node

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        self.generic_visit(node)
        self._negate_test(node)
        return node

    def visit_While(self, node: ast.While) -> ast.AST:
        self.generic_visit(node)
        self._negate_test(node)
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        value = node.value
        if isinstance(value, bool):
            if self._site(node, f"{value} -> {not value}"):
                return ast.copy_location(ast.Constant(not value), node)
        elif isinstance(value, int):
            if self._site(node, f"{value} -> {value + 1}"):
                return ast.copy_location(ast.Constant(value + 1), node)
        elif isinstance(value, float):
            moved = value * 1.01 if value else 1.0
            if self._site(node, f"{value!r} -> {moved!r}"):
                return ast.copy_location(ast.Constant(moved), node)
        elif isinstance(value, str) and value and self._site(node, f"string {value[:30]!r} marked"):
            return ast.copy_location(ast.Constant(_MARK + value + _MARK), node)
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        # The literal parts are constants (visited); a replacement field may be dropped.
        for position, part in enumerate(list(node.values)):
            if isinstance(part, ast.FormattedValue):
                part.value = self.visit(part.value)
                if self._site(part, "f-string field dropped"):
                    node.values[position] = ast.Constant("")
            else:
                node.values[position] = self.visit(part)
        return node

    def visit_Return(self, node: ast.Return) -> ast.AST:
        self.generic_visit(node)
        trivial = node.value is None or (
            isinstance(node.value, ast.Constant) and node.value.value is None
        )
        if not trivial and self._site(node, "returns None"):
            node.value = ast.Constant(None)
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id in ("min", "max"):
            other = "max" if node.func.id == "min" else "min"
            if self._site(node, f"{node.func.id} -> {other}"):
                node.func = ast.copy_location(ast.Name(other, ast.Load()), node.func)
        for keyword in list(node.keywords):
            if keyword.arg is not None and self._site(node, f"keyword {keyword.arg}= dropped"):
                node.keywords.remove(keyword)
        return node


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def mutants(tree: ast.Module) -> list[Mutant]:
    mutator = _Mutator()
    mutator.visit(copy.deepcopy(tree))
    return [Mutant(i, line, text, top) for i, (line, text, top) in enumerate(mutator.sites)]


def mutated(tree: ast.Module, index: int) -> ast.Module:
    result: ast.Module = _Mutator(index).visit(copy.deepcopy(tree))
    return ast.fix_missing_locations(result)


# Coverage: which tests run which lines of the module (one traced run, in a child).
def _covering_tests(path: Path, items: list[Any]) -> dict[str, Any]:
    from _pytest.runner import runtestprotocol

    target = str(path)
    lines_by_test: dict[int, set[str]] = {}
    current = [""]
    unsafe: set[str] = set()

    def local(frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            lines_by_test.setdefault(frame.f_lineno, set()).add(current[0])
        return local

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename != target:
            if _UNSAFE_PATH in frame.f_code.co_filename:
                unsafe.add(current[0])
            return None
        lines_by_test.setdefault(frame.f_lineno, set()).add(current[0])
        return local

    failed = []
    for index, item in enumerate(items):
        current[0] = item.nodeid
        sys.settrace(tracer)
        try:
            reports = runtestprotocol(item, log=False, nextitem=_next(items, index))
        finally:
            sys.settrace(None)
        failed += [item.nodeid for report in reports if report.failed]
    if failed:
        raise SystemExit(f"the tests fail on the unmutated module: {failed}")
    return {
        "lines": {line: sorted(tests - {""}) for line, tests in lines_by_test.items()},
        "unsafe": sorted(unsafe),
    }


def _next(items: list[Any], index: int) -> Any:
    return items[index + 1] if index + 1 < len(items) else None


def _repoint(module_name: str, old: dict[str, object]) -> None:
    """Make every other module's names for the module's old objects name the new ones."""
    module = sys.modules[module_name]
    new = vars(module)
    by_id = {id(value): new[name] for name, value in old.items() if name in new}
    for other in list(sys.modules.values()):
        if other is module or other is None or type(other).__name__ == "_LazyModule":
            continue
        namespace = getattr(other, "__dict__", None)
        if not isinstance(namespace, dict):
            continue
        for name, value in list(namespace.items()):
            replacement = by_id.get(id(value))
            if replacement is not None and old.get(name) is value:
                namespace[name] = replacement


def _run_mutant(
    module_name: str, path: Path, tree: ast.Module, mutant: Mutant, items: list[Any]
) -> int:
    """In a forked child: swap the mutated code in and run `items` up to the first
    failure; 1 if one fails, else 0."""
    from _pytest.runner import runtestprotocol

    module = sys.modules[module_name]
    old = dict(vars(module))
    code = compile(mutated(tree, mutant.index), str(path), "exec")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        exec(code, vars(module))
    except Exception:
        return 1  # the module no longer imports: any test fails
    _repoint(module_name, old)
    for index, item in enumerate(items):
        reports = runtestprotocol(item, log=False, nextitem=_next(items, index))
        # A failure in the fork is confirmed in a fresh process: the fork's tests hold
        # the module's objects as collected (a class in `parametrize`, a strategy's
        # `sampled_from`), which `_repoint` cannot reach, so an unmutated line's mutant
        # failed `isinstance` there (helper-258: 95 of 95 "killed" in one run, some not).
        if any(report.failed for report in reports) and _run_fresh(
            path, tree, mutant, [item.nodeid]
        ):
            return 1
    return 0


#: `_run_fresh`'s answer when the tests were still running at its timeout.
_UNDECIDED = 2


def _run_fresh(
    path: Path, tree: ast.Module, mutant: Mutant, tests: list[str], timeout: float | None = None
) -> int:
    """`tests` in a new process, on a copy of the package with the mutant written out:
    0 when every test passed, 1 when one failed, `_UNDECIDED` when still running after
    `timeout` seconds."""
    package_root = Path("python").resolve()
    with tempfile.TemporaryDirectory() as scratch:
        copied = Path(scratch) / "python"
        shutil.copytree(package_root, copied, ignore=shutil.ignore_patterns("__pycache__"))
        target = copied / path.relative_to(package_root)
        target.write_text(ast.unparse(mutated(tree, mutant.index)), encoding="utf-8")
        environment = {**os.environ, "PYTHONPATH": str(copied)}
        command = [sys.executable, "-m", "pytest", *tests, "-x", "-q", "-p", "no:cacheprovider"]
        try:
            done = subprocess.run(
                command, env=environment, capture_output=True, check=False, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            return _UNDECIDED
    return 0 if done.returncode == 0 else 1


def _fork_pool(
    jobs: int, timeout: float, tasks: list[tuple[Mutant, list[Any]]], run: Callable[..., int]
) -> Iterator[tuple[Mutant, str]]:
    running: dict[int, tuple[Mutant, float]] = {}
    pending = list(tasks)
    while pending or running:
        while pending and len(running) < jobs:
            mutant, items = pending.pop(0)
            if not items:
                yield mutant, "survived (no test runs its line)"
                continue
            pid = os.fork()
            if pid == 0:
                try:
                    status = run(mutant, items)
                except BaseException:
                    status = 1
                os._exit(status)
            running[pid] = (mutant, time.monotonic())
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            time.sleep(0.02)
            for pid, (mutant, started) in list(running.items()):
                if time.monotonic() - started > timeout:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    del running[pid]
                    yield mutant, "timed out"
            continue
        mutant, _ = running.pop(pid)
        code = os.waitstatus_to_exitcode(status)
        yield mutant, "survived" if code == 0 else f"killed (exit {code})"


#: Modules that start threads when imported (polars' pool): a fork of a process that
#: imported them hangs at their first use. Loaded only where used, in the forks.
_FORK_UNSAFE = ("polars",)
_UNSAFE_PATH = "/site-packages/polars/"


def _import_lazily(name: str) -> None:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)


class _Tracer:
    """A pytest plugin that runs the session's tests traced: which run which lines."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        traced = _covering_tests(self.args.module.resolve(), list(session.items))
        self.args.traced.write_text(json.dumps(traced), encoding="utf-8")
        return True


class _MutationLoop:
    """A pytest plugin that runs the mutants instead of the session's tests."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        args = self.args
        path = args.module.resolve()
        parts = path.relative_to(Path("python").resolve()).with_suffix("").parts
        module_name = ".".join(parts)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        found = mutants(tree)
        if args.lines:
            wanted: set[int] = set()
            for part in args.lines.split(","):
                low, _, high = part.partition("-")
                wanted.update(range(int(low), int(high or low) + 1))
            found = [m for m in found if m.line in wanted]
        items = list(session.items)
        traced = json.loads(args.traced.read_text(encoding="utf-8"))
        unsafe = set(traced["unsafe"])
        by_id = {item.nodeid: item for item in items}
        covered = {int(line): [by_id[t] for t in tests] for line, tests in traced["lines"].items()}
        tasks = [(m, items if m.top_level else covered.get(m.line, [])) for m in found]

        def run(mutant: Mutant, selected: list[Any]) -> int:
            forkable = [item for item in selected if item.nodeid not in unsafe]
            if _run_mutant(module_name, path, tree, mutant, forkable):
                return 1
            # A survivor of the fork is run fresh too, on every selected test: a test
            # holding the module's objects as collected (a class in `parametrize`, a
            # base class defined elsewhere) ran the unmutated code in the fork and
            # passed (helper-261: 6 of 9 fork survivors were killed fresh).
            return _run_fresh(path, tree, mutant, [item.nodeid for item in selected])

        outcomes = []
        started = time.monotonic()
        selected_of = {mutant.index: selected for mutant, selected in tasks}
        for mutant, outcome in _fork_pool(args.jobs, args.timeout, tasks, run):
            if outcome == "timed out":
                # Not a kill: a mutant no test fails still runs every selected test in
                # the fork (a top-level one: all of them), and may not finish in time
                # (helper-271: 3 of 4 such "kills" were equivalent mutants). Decided by
                # a fresh run given four times as long.
                nodeids = [item.nodeid for item in selected_of[mutant.index]]
                fresh = _run_fresh(path, tree, mutant, nodeids, timeout=4 * args.timeout)
                outcome = {
                    0: "survived (fresh, after a timeout)",
                    1: "killed (fresh, after a timeout)",
                }.get(fresh, "undecided (timed out fresh too)")
            outcomes.append({**vars(mutant), "outcome": outcome})
            if len(outcomes) % 10 == 0 or len(outcomes) == len(found):
                print(f"{len(outcomes)} of {len(found)} mutants run", file=sys.stderr, flush=True)
            if not outcome.startswith("killed"):
                print(f"{path.name}:{mutant.line}: {mutant.description}: {outcome}", flush=True)
        elapsed = time.monotonic() - started
        counts = {
            kind: sum(o["outcome"].startswith(kind) for o in outcomes)
            for kind in ("killed", "survived", "undecided")
        }
        print(
            f"{path.name}: {len(found)} mutants, {counts['survived']} survived, "
            f"{counts['killed']} killed, {counts['undecided']} undecided ({elapsed:.0f} s)"
        )
        if args.json:
            outcomes.sort(key=lambda o: o["index"])
            args.json.write_text(json.dumps(outcomes, indent=1), encoding="utf-8")
        return True


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("module", type=Path, help="the module's file, under python/")
    parser.add_argument("tests", nargs="+", help="test files (pytest arguments)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--lines", help="only mutants on these lines: 10-40,55")
    parser.add_argument("--json", type=Path, help="write every mutant's outcome here")
    parser.add_argument("--traced", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--trace-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    # (Set before pytest loads tests/conftest.py; the fresh runs inherit it.)
    os.environ["HYPOTHESIS_PROFILE"] = "mutation"
    if args.traced is None:
        # The traced run in a new process (forks of this one could not run polars).
        with tempfile.NamedTemporaryFile(suffix=".json") as traced:
            command = [sys.executable, *sys.argv, "--traced", traced.name]
            raise SystemExit(
                subprocess.run([*command, "--trace-only"], check=False).returncode
                or subprocess.run(command, check=False).returncode
            )
    if args.trace_only:
        pytest.main([*args.tests, "-q", "-p", "no:cacheprovider"], plugins=[_Tracer(args)])
        return
    for name in _FORK_UNSAFE:
        _import_lazily(name)
    # -s: the forks' output goes nowhere, and the pass's own lines straight out.
    pytest.main([*args.tests, "-q", "-s", "-p", "no:cacheprovider"], plugins=[_MutationLoop(args)])


if __name__ == "__main__":
    main()
