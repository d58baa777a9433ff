"""The randsup command line: parse, call the library, print. Nothing here the library cannot do."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from .errors import RandsupError

app = typer.Typer(
    name="randsup",
    help="双随机、一公开: verifiable entity draws, inspector teams and public inspection plans.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def fail(exc: RandsupError) -> typer.Exit:
    """Print a library error to stderr and turn it into the documented exit code."""
    err.print(f"[bold red]error:[/bold red] {exc}", markup=True, highlight=False)
    return typer.Exit(code=exc.exit_code)


# Each command: Annotated options with help, a docstring, one call into the library, printing.
# Commands catch RandsupError and `raise fail(exc) from None`.

# --- 一单两库: validate, demo-data (issue 2) ---

# --- 第一随机 / 第二随机 / 一公开: plan, verify (issues 3-5) ---

# --- ledger, recuse, results (issue 6) ---

# --- bench (issue 7) ---


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except RandsupError as exc:  # a command that forgot to catch still exits cleanly
        err.print(f"error: {exc}", markup=False)
        sys.exit(exc.exit_code)


