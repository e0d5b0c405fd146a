"""Load the named SQL queries of `sql/queries.sql` (+ the dialect's file) once, at import time.

`load("sqlite")` / `load("postgres")` return a `Queries` object whose attributes are the final
SQL strings (macros expanded, and for PostgreSQL `:name` turned into `%(name)s`), so the hot
path only looks up a ready string; both drivers cache prepared statements by text.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from .rows import COLUMNS

_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)
_MACRO = re.compile(r"\{(\w+)(?:@(\w+))?(?::(\w+))?\}")
_QUOTED = re.compile(r"('(?:[^']|'')*')")  # SQL string literals (kept verbatim)
_PARAM = re.compile(r"(?<![:\w]):(\w+)")


class Queries:
    """Attribute access to SQL text by query name (one instance per dialect)."""

    def __init__(self, dialect: str, texts: dict[str, str]) -> None:
        self.dialect = dialect
        self.__dict__.update(texts)

    def __getattr__(self, name: str) -> str:
        # Only reached for a name no SQL file defines; tells the type checker queries are str.
        raise AttributeError(f"no query {name!r} in the {self.__dict__.get('dialect')} SQL files")

    def names(self) -> list[str]:
        return sorted(k for k in self.__dict__ if k != "dialect")


def parse(text: str) -> dict[str, str]:
    """`-- name: x` blocks -> {x: sql}; comment-only lines inside a block are dropped."""
    out: dict[str, str] = {}
    parts = _NAME.split(text)
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in out:
            raise ValueError(f"query {name!r} defined twice")
        lines = [ln for ln in body.strip().splitlines() if not ln.lstrip().startswith("--")]
        out[name] = "\n".join(lines).strip()
    return out


def _expand(match: re.Match[str]) -> str:
    table, alias, mode = match.groups()
    cols = COLUMNS[table]
    if mode is None:
        prefix = f"{alias}." if alias else ""
        return ", ".join(prefix + c for c in cols)
    if mode == "values":
        return ", ".join(":" + c for c in cols)
    if mode == "set":
        return ", ".join(f"{c} = :{c}" for c in cols[1:])
    if mode == "excluded":
        return ", ".join(f"{c} = excluded.{c}" for c in cols[1:])
    raise ValueError(f"unknown macro mode {mode!r} in {match.group(0)}")


def to_pyformat(sql: str) -> str:
    """`:name` -> `%(name)s` and `%` -> `%%`, outside string literals (psycopg's style)."""
    pieces = _QUOTED.split(sql)
    for i in range(0, len(pieces), 2):  # even pieces are outside quotes
        pieces[i] = _PARAM.sub(r"%(\1)s", pieces[i].replace("%", "%%"))
    return "".join(pieces)


def _read(name: str) -> str:
    return resources.files(__package__).joinpath("sql", name).read_text(encoding="utf-8")


@cache
def load(dialect: str) -> Queries:
    if dialect not in ("sqlite", "postgres"):
        raise ValueError(f"unknown dialect {dialect!r}")
    texts = parse(_read("queries.sql"))
    for shared in ("console.sql", "console_pages.sql"):  # only a dialect file may replace
        more = parse(_read(shared))
        if clash := sorted(texts.keys() & more.keys()):
            raise ValueError(f"{shared} defines {clash} again")
        texts.update(more)
    texts.update(parse(_read(f"{dialect}.sql")))
    final = {}
    for name, sql in texts.items():
        sql = _MACRO.sub(_expand, sql)
        final[name] = to_pyformat(sql) if dialect == "postgres" else sql
    return Queries(dialect, final)


@cache
def save_columns(dialect: str, columns: tuple[str, ...]) -> str:
    """`save_invoice` setting only `columns` (and `rev`): SQLite deletes and re-inserts the
    entries of every index on a column in the SET list, changed or not (A-69)."""
    sets = ", ".join(f"{c} = :{c}" for c in (*columns, "rev"))
    sql = f"UPDATE invoices SET {sets} WHERE reference = :reference AND rev = :expected_rev"
    return to_pyformat(sql) if dialect == "postgres" else sql
