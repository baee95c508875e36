"""Tables that fit the terminal: a table too wide for the console leaves out its least needed
columns (and says which) instead of cutting every cell to "fra..."; ``--json`` prints them all."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich import box
from rich.console import Console
from rich.table import Table


@dataclass(frozen=True)
class Column:
    """One column: its heading, its alignment and how readily it is left out (0: never; higher
    numbers go first)."""

    heading: str
    right: bool = False
    drop: int = 0
    long: bool = False
    """Free text (a rule, a tree leaf): on its own indented line when the rows are printed as
    records (``print_wide_or_records``)."""


def natural_width(table: Table) -> int:
    """The width ``table`` takes when nothing limits it (rendered once on a very wide page)."""
    import io

    text = io.StringIO()
    Console(file=text, width=10_000, color_system=None, soft_wrap=False).print(table)
    return max((len(line) for line in text.getvalue().splitlines()), default=0)


def _table(
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    keep: Sequence[int],
    style: Callable[[int, int], str] | None = None,
) -> Table:
    """The table of ``rows`` with the columns ``keep`` names (cells never wrap); ``style(row,
    column)`` may give a cell's rich style."""
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    for i in keep:
        col = columns[i]
        table.add_column(col.heading, justify="right" if col.right else "left", no_wrap=True)
    for r, row in enumerate(rows):
        cells = []
        for i in keep:
            text = row[i]
            mark = style(r, i) if style is not None else ""
            cells.append(f"[{mark}]{text}[/{mark}]" if mark and text else text)
        table.add_row(*cells)
    return table


def fitted_table(
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    console: Console,
    *,
    style: Callable[[int, int], str] | None = None,
) -> tuple[Table, list[str]]:
    """A table of ``rows`` under ``columns`` no wider than ``console``: columns with the highest
    ``drop`` are left out one at a time until it fits (cells never wrap or shorten). Returns the
    table and the headings left out (a column empty in every row goes unnamed). ``style(row,
    column)`` may give a cell's rich style."""
    # a column empty in every row (no tags anywhere, say) says nothing: it goes first, unnamed
    empty = {i for i, c in enumerate(columns) if c.drop and rows and not any(r[i] for r in rows)}
    keep = [i for i in range(len(columns)) if i not in empty]
    order = sorted((i for i in keep if columns[i].drop), key=lambda i: -columns[i].drop)
    while True:
        table = _table(title, columns, rows, keep, style)
        if natural_width(table) <= console.width or not order:
            left_out = [
                c.heading for i, c in enumerate(columns) if i not in keep and i not in empty
            ]
            return table, left_out
        keep.remove(order.pop(0))


def print_fitted(
    console: Console,
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    style: Callable[[int, int], str] | None = None,
) -> None:
    """Print ``fitted_table``'s table and, when columns were left out, a line naming them."""
    table, left_out = fitted_table(title, columns, rows, console, style=style)
    console.print(table)
    if left_out:
        console.print(
            f"(left out at {console.width} columns: {', '.join(left_out)}; "
            "a wider terminal or --json shows them)",
            highlight=False,
        )


def print_wide_or_records(
    console: Console, title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]]
) -> None:
    """Print ``rows`` as a table when the whole table fits ``console``; otherwise as records,
    one per row: its short cells as ``heading value`` on one line, then each ``long`` cell on
    an indented line of its own, wrapped at the console's width, so nothing is cut."""
    table = _table(title, columns, rows, range(len(columns)))
    if natural_width(table) <= console.width:
        console.print(table)
        return
    console.print(title, highlight=False, markup=False)
    for row in rows:
        short = [
            (f"{c.heading} {v}" if i else v)
            for i, (c, v) in enumerate(zip(columns, row, strict=True))
            if not c.long and v
        ]
        console.print("  ".join(short), highlight=False, markup=False)
        for c, v in zip(columns, row, strict=True):
            if c.long and v:
                wrapped = textwrap.fill(
                    v, width=max(console.width, 20), initial_indent="    ",
                    subsequent_indent="      ", break_on_hyphens=False,
                )  # fmt: skip
                console.print(wrapped, highlight=False, markup=False, soft_wrap=True)
