"""The charter's size limits, checked: no function in src/openseqr over 80 lines, no module over
500 (Python only; vendored assets such as jsQR.js are not Python and are not read)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "openseqr"
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 500


def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def long_functions(path: Path, root: Path = SRC.parent) -> list[str]:
    """``module:line name (N lines)`` for every function or method longer than the limit.

    A function's length runs from its ``def`` (decorators excluded) to its last line, nested
    functions included: a handler nested in a factory makes the factory long.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > MAX_FUNCTION_LINES:
                where = path.relative_to(root)
                found.append(f"{where}:{node.lineno} {node.name} ({lines} lines)")
    return found


def test_the_checker_measures_functions(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES - 1))
    fits = tmp_path / "openseqr" / "fits.py"
    fits.parent.mkdir()
    fits.write_text(f"def f():\n{body}\n")  # exactly the limit
    assert long_functions(fits, tmp_path) == []
    fits.write_text(f"async def f():\n{body}\n    return x0\n")
    assert long_functions(fits, tmp_path) == ["openseqr/fits.py:1 f (81 lines)"]


def test_no_function_is_longer_than_80_lines() -> None:
    offenders = [line for path in _modules() for line in long_functions(path)]
    assert not offenders, "functions over 80 lines:\n" + "\n".join(offenders)


def test_no_module_is_longer_than_500_lines() -> None:
    sizes = {p: len(p.read_text(encoding="utf-8").splitlines()) for p in _modules()}
    offenders = [f"{p.relative_to(SRC.parent)} ({n} lines)" for p, n in sizes.items() if n > 500]
    assert not offenders, "modules over 500 lines:\n" + "\n".join(offenders)
