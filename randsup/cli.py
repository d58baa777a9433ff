"""The randsup command line: parse, call the library, print. Nothing here the library cannot do."""

from __future__ import annotations

import functools
import inspect
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from .errors import OutputError, RandsupError, os_error

__all__ = ["app", "main"]

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="randsup",
    help="双随机、一公开: verifiable entity draws, inspector teams and public inspection plans.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def visible(text: str) -> str:
    """``text`` with control characters (except line breaks) shown as escapes: user data in a
    message must not move the cursor, clear the screen or hide part of the message."""
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", lambda m: repr(m.group())[1:-1], text)


def fail(exc: RandsupError) -> typer.Exit:
    """Print a library error to stderr and turn it into the documented exit code."""
    from .i18n import language, word

    # Messages quote user data; escape it, or a cell like "[/x]" is taken as markup and crashes rich.
    err.print(f"[bold red]{word('error', language())}:[/bold red] {escape(visible(str(exc)))}", markup=True,
              highlight=False)
    return typer.Exit(code=exc.exit_code)


_KEEP_LINE = re.compile(r"\s|[-*•]\s|\d+[.)]\s")  # an indented line or a list item keeps its own line


def reflowed(doc: str | None) -> str | None:
    """A docstring as help text: the lines of each paragraph joined into one.

    Rich keeps a docstring's single line breaks, so text wrapped at 100 columns in the source
    was wrapped again at the terminal's width ("… this year's earlier" / "plans"). Indented
    lines and list items keep their own line.
    """
    if doc is None:
        return None
    paragraphs = []
    for para in inspect.cleandoc(doc).split("\n\n"):
        lines: list[str] = []
        for line in para.split("\n"):
            if lines and not _KEEP_LINE.match(line):
                lines[-1] += " " + line.strip()
            else:
                lines.append(line.rstrip())
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def command(group: typer.Typer, name: str, **kwargs: Any) -> Callable[[F], F]:
    """Register a command behind the CLI's one error boundary.

    Library errors print their message and exit with their code (2 bad input, 1 a verification
    difference or infeasible plan); an OSError is named with its path (exit 2). Anything else is a
    bug and :func:`main` reports it (exit 3).
    """
    def register(fn: F) -> F:
        @functools.wraps(fn)
        def guarded(*args: Any, **kw: Any) -> Any:
            try:
                return fn(*args, **kw)
            except RandsupError as exc:
                raise fail(exc) from None
            except OSError as exc:
                raise fail(os_error(exc)) from None
        group.command(name, **{"help": reflowed(fn.__doc__), **kwargs})(guarded)
        return fn
    return register


DEFAULT_LOCK_WAIT = 600.0
LockTimeoutOpt = Annotated[float, typer.Option(
    "--lock-timeout", min=0, help="Seconds to wait while another randsup command holds the ledger.")]


def _waiting(waited: float, timeout: float) -> None:
    """Progress while another command holds the ledger's lock (about once a second; printed every 10 s)."""
    if waited < 1.5 or int(waited) % 10 == 0:
        err.print(f"waiting for the ledger: another randsup command holds it ({waited:.0f} s of {timeout:.0f} s)",
                  markup=False)


def _print_version(value: bool) -> None:
    if value:
        from .version import __version__

        out.print(f"randsup {__version__}", markup=False)
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True, help="Print the version and exit.")] = False) -> None:
    pass


def build() -> Any:
    """The click command tree of the app, its help in the user's language (randsup/i18n.py)."""
    from .i18n import language, localise

    return localise(typer.main.get_command(app), language())


# Each command: Annotated options with help, a docstring, one call into the library, printing.

# --- 一单两库: validate, demo-data (issue 2) ---


@command(app, "validate")
def validate_cmd(
    data: Annotated[Path, typer.Argument(
        metavar="DATA",
        help="The data folder (departments.csv, entities.csv, …; UTF-8 or GB18030) or one .xlsx workbook.")],
) -> None:
    """Load and check 一单两库: print the table sizes, or every problem (file, row, column) and exit 2."""
    from contextlib import nullcontext

    from .inputs.load import load_directory

    bar = _progress()
    with bar if bar is not None else nullcontext():
        d = load_directory(data, progress=bar)
    counts = [(len(d.departments), "departments"), (len(d.supervision_items), "supervision items"),
              (len(d.check_items), "check items"), (len(d.joint_items), "joint items"),
              (len(d.entities), "entities"), (len(d.inspectors), "inspectors"),
              (len(d.conflicts), "conflicts"), (len(d.unavailability), "unavailability periods"),
              (len(d.history), "past visits")]
    out.print(f"{data}: valid; " + ", ".join(f"{n:,} {what}" for n, what in counts), markup=False)


@command(app, "demo-data")
def demo_data_cmd(
    out_dir: Annotated[Path, typer.Argument(metavar="OUT", help="A new folder for the demo data.")],
    entities: Annotated[int, typer.Option("--entities", help="Market entities (检查对象) to generate.")] = 300_000,
    inspectors: Annotated[int | None, typer.Option(
        "--inspectors", help="Inspectors (执法检查人员) to generate; default: Songjiang's ratio (0.6 % of the "
        "entities), at least the generator's minimum.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Any whole number ≥ 0; the same seed gives the same files.")]
    = 0,
    salt_file: Annotated[Path | None, typer.Option(
        "--salt-file", help="A salt file from `randsup salt new`; its commitment goes into the demo spec.")] = None,
) -> None:
    """Write a Songjiang-like 一单两库 (CSV), a 2027Q1 plan spec and a provisional 2027 holidays file."""
    import time

    from .demo.synth import write_demo_data
    from .draw.seed import commit_salt, read_salt_file

    commitment = None if salt_file is None else commit_salt(read_salt_file(salt_file))
    started = time.perf_counter()
    d = write_demo_data(out_dir, entities=entities, inspectors=inspectors, seed=seed, salt_commitment=commitment)
    seconds = time.perf_counter() - started
    out.print(f"{out_dir}: {len(d.departments)} departments, {len(d.supervision_items)} supervision items, "
              f"{len(d.check_items)} check items, {len(d.joint_items)} joint items, {len(d.entities):,} entities, "
              f"{len(d.inspectors):,} inspectors, {len(d.conflicts)} conflicts, "
              f"{len(d.unavailability)} unavailability periods, {len(d.history):,} past visits "
              f"(seed {seed}, {seconds:.1f} s)", markup=False)
    out.print(f"plan spec {out_dir / 'plan-2027Q1.toml'}; holidays {out_dir / 'holidays-2027.toml'} "
              "(PROVISIONAL: replace with the official 2027 notice)", markup=False)

@command(app, "convert")
def convert_cmd(
    data: Annotated[Path, typer.Argument(metavar="DATA", help="A data folder or one .xlsx workbook.")],
    to: Annotated[str, typer.Option("--to", help="xlsx (one workbook, a sheet per table) or csv (a folder of "
                                                 "CSV files).")],
    target: Annotated[Path, typer.Argument(metavar="OUT", help="The new workbook (xlsx) or folder (csv).")],
) -> None:
    """Convert 一单两库 between a data folder and one XLSX workbook (checked in full first, then written)."""
    from .inputs.load import load_directory
    from .inputs.save import save_directory, save_directory_xlsx

    fmt = _choice("--to", to, ("xlsx", "csv"))
    if target.exists():  # before the work, not after it
        raise OutputError(f"{target} exists already; choose a new name or remove the old one")
    from contextlib import nullcontext

    bar = _progress()
    with bar if bar is not None else nullcontext():
        d = load_directory(data, progress=bar)
        if fmt == "xlsx":
            save_directory_xlsx(d, target, progress=bar)
        else:
            save_directory(d, target)
    out.print(f"{data} → {target} ({fmt}): {len(d.entities):,} entities, {len(d.inspectors):,} inspectors",
              markup=False)

# --- 第一随机 / 第二随机 / 一公开: plan, verify (issues 3-5) ---


class _StageProgress:
    """A rich progress display on stderr for the library's ``progress(stage, done, total)`` calls."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), console=err, transient=True)
        self._tasks: dict[str, object] = {}

    def __enter__(self) -> _StageProgress:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def __call__(self, stage: str, done: int = 0, total: int | None = None) -> None:
        if stage not in self._tasks:
            self._tasks[stage] = self._bar.add_task(stage, total=total)
        self._bar.update(self._tasks[stage], completed=done, total=total)  # type: ignore[arg-type]


def _progress() -> _StageProgress | None:
    # Progress only for a person watching: quiet when stderr is a file, a pipe or CI.
    return _StageProgress() if err.is_terminal else None


SourceOpt = Annotated[list[str], typer.Option(
    "--source", help='The published values of one seed source the spec names, e.g. "02 05 12 20 25 31 08"; '
                     "one --source per named source, in the spec's order.")]
SaltFileOpt = Annotated[Path | None, typer.Option(
    "--salt-file", help="The file `randsup salt new` wrote; its SHA-256 is the spec's seed.salt_commitment.")]
SaltOpt = Annotated[str | None, typer.Option(
    "--salt", help="The salt itself (discouraged: command lines leak into shell history and process lists; "
                   "use --salt-file).")]


def _salt(salt_file: Path | None, salt: str | None) -> str | None:
    """The salt from --salt-file, or from --salt with a warning; both at once is refused."""
    from .draw.seed import read_salt_file
    from .errors import InputError, Problem

    if salt_file is not None and salt is not None:
        raise InputError(Problem("--salt", None, None, None, "give the salt once: --salt-file FILE (preferred)"),
                         header="bad option")
    if salt is not None:
        err.print("warning: --salt puts the secret on the command line, where shell history and process lists "
                  "keep it; use --salt-file FILE", markup=False)
        return salt
    return None if salt_file is None else read_salt_file(salt_file)


def _date_option(option: str, value: str | None) -> Any:
    """An option given as YYYY-MM-DD, or None; a bad date is bad input (exit 2)."""
    import datetime as dt

    from .errors import InputError, Problem

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(Problem(option, None, None, value, "not a date; write it as YYYY-MM-DD"),
                         header="bad option") from None


def _choice(option: str, value: str | None, allowed: tuple[str, ...]) -> str | None:
    from .errors import InputError, Problem

    if value is not None and value not in allowed:
        raise InputError(Problem(option, None, None, value, f"must be one of {', '.join(allowed)}"),
                         header="bad option")
    return value


SupersedeOpt = Annotated[bool, typer.Option(
    "--supersede", help="Replace the plan of this plan_id already in the ledger (needs --reason).")]
ReasonOpt = Annotated[str | None, typer.Option(
    "--reason", help="Why the earlier plan is replaced; recorded and shown in the new notice.")]


def _supersede_reason(supersede: bool, reason: str | None) -> str | None:
    """The recorded reason of a re-plan (None: nothing is replaced); one flag without the other is refused."""
    from .errors import InputError, Problem

    if supersede != (reason is not None and bool(reason.strip())):
        raise InputError(Problem("--supersede" if supersede else "--reason", None, None, reason,
                                 "give --supersede and --reason together: replacing a plan needs a recorded reason"),
                         header="bad option")
    return reason if supersede else None


@command(app, "plan")
def plan_cmd(
    data: Annotated[Path, typer.Argument(help="The data folder (一单两库) the plan is drawn from.")],
    spec: Annotated[Path, typer.Argument(help="The plan specification (TOML), e.g. DATA/plan-2027Q1.toml.")],
    source: SourceOpt,
    out_dir: Annotated[Path, typer.Option("--out", help="A new folder for the plan directory.")],
    salt_file: SaltFileOpt = None,
    salt: SaltOpt = None,
    ledger: LedgerOpt = None,
    supersede: SupersedeOpt = False,
    reason: ReasonOpt = None,
    lock_timeout: LockTimeoutOpt = DEFAULT_LOCK_WAIT,
    allow_unstaffed: Annotated[bool, typer.Option(
        "--allow-unstaffed", help="Write the plan even if some visit-departments have no legal team on any "
        "day: they are marked unstaffed with the reason (the notice and summary say how many).")] = False,
    published_on: Annotated[str | None, typer.Option(
        "--published-on", help="Publication date of the notice (发布日期, 落款), YYYY-MM-DD; recorded in the plan "
                               "(default: the spec's publication.date).")] = None,
    contact: Annotated[str | None, typer.Option(
        "--contact", help="Contact and complaint line printed on the notice (联系方式、投诉举报) "
                          "(default: the spec's publication.contact).")] = None,
    worklist_headers: Annotated[str | None, typer.Option(
        "--worklist-headers", help="Header language of visits.csv/.xlsx: zh or en (default: the spec's, else zh).")]
    = None,
    from_draw: Annotated[Path | None, typer.Option(
        "--from-draw", help="Take the draw of this `randsup draw` folder as the 第一随机 (the same spec, seed and "
                            "data; checked first): the selection is kept, visits, dates and teams are added.")]
    = None,
) -> None:
    """Draw entities (第一随机), plan visits, dates and teams (第二随机), write the plan directory (一公开).

    The history ledger (DATA/randsup-ledger.sqlite unless --ledger) supplies this year's earlier
    plans for the annual cap and rotation, and records the new plan. Running the same command
    again completes a plan that a crash left pending. A spec that is not `announced = true` needs
    a salt: make one with `randsup salt new FILE` before the sources are drawn and pass
    --salt-file FILE.
    """
    from contextlib import nullcontext

    from rich.table import Table

    from .draw.seed import PublicSeed
    from .history.ledger import Ledger
    from .history.planning import plan_with_ledger
    from .inputs.load import load_directory
    from .publish.render import plan_summary
    from .spec import load_spec, require_secrecy, with_office_options

    why = _supersede_reason(supersede, reason)
    bar = _progress()
    plan_spec = with_office_options(load_spec(spec), published_on=_date_option("--published-on", published_on),
                                    contact=contact, worklist_headers=_choice("--worklist-headers", worklist_headers,
                                                                              ("zh", "en")),
                                    source_values=tuple(source))
    the_salt = _salt(salt_file, salt)
    require_secrecy(plan_spec, plan_spec.seed.salt_commitment if the_salt is not None else None)
    with bar if bar is not None else nullcontext():
        directory = load_directory(data, progress=bar)
    seed = PublicSeed.for_spec(plan_spec.seed, source, the_salt)
    # Earlier plans of the year in the ledger drive the annual cap and rotation; the plan is recorded there.
    with Ledger(_ledger_path(ledger, data), lock_timeout=lock_timeout, waiting=_waiting) as book, \
            bar if bar is not None else nullcontext():
        plan = plan_with_ledger(directory, plan_spec, seed, book, out_dir, progress=bar,
                                supersede=why, allow_unstaffed=allow_unstaffed, from_draw=from_draw)
    table = Table(title=escape(f"plan {plan.plan_id} → {out_dir}"), title_justify="left", show_header=False)
    table.add_column()
    table.add_column(justify="right")
    for label, value in plan_summary(plan):
        table.add_row(escape(label), escape(value))
    out.print(table)


EngineOpt = Annotated[str, typer.Option(
    "--engine", help="Where tickets are computed: python (in memory, default), duckdb or spark (inside the "
                     "database; optional extras). The draw does not depend on it.")]
EntitiesOpt = Annotated[str | None, typer.Option(
    "--entities", help="The entities to draw from, for --engine duckdb/spark: a .parquet or .csv file, or with "
                       "--database a table name (default: DATA/entities.parquet or DATA/entities.csv).")]
DatabaseOpt = Annotated[str | None, typer.Option(
    "--database", help="A DuckDB database file holding the --entities table.")]


@command(app, "draw")
def draw_cmd(
    data: Annotated[Path, typer.Argument(help="The data folder (一单两库); entities.csv or entities.parquet.")],
    spec: Annotated[Path, typer.Argument(help="The plan specification (TOML); only its draw settings are used.")],
    source: SourceOpt,
    out_dir: Annotated[Path, typer.Option("--out", help="A new folder for the draw directory.")],
    salt_file: SaltFileOpt = None,
    salt: SaltOpt = None,
    engine: EngineOpt = "python",
    entities: EntitiesOpt = None,
    database: DatabaseOpt = None,
    ledger: LedgerOpt = None,
    supersede: SupersedeOpt = False,
    reason: ReasonOpt = None,
    lock_timeout: LockTimeoutOpt = DEFAULT_LOCK_WAIT,
) -> None:
    """第一随机 only: draw the entities of every task (no visits, no teams), write the draw directory.

    For a province's 企业公示信息抽查 of 10^7 entities; `randsup verify OUT --data DATA` recomputes it.
    As with `plan`, the history ledger (DATA/randsup-ledger.sqlite unless --ledger) supplies this
    year's earlier inspections for the annual cap and records the draw; running the same command
    again completes a draw that a crash left pending.
    """
    from .draw.seed import PublicSeed
    from .history.ledger import Ledger
    from .history.planning import draw_with_ledger
    from .publish.draw_only import EntitySource, draw_summary
    from .spec import load_spec

    why = _supersede_reason(supersede, reason)
    plan_spec = load_spec(spec)
    seed = PublicSeed.for_spec(plan_spec.seed, source, _salt(salt_file, salt))
    src = EntitySource(engine=engine, entities=entities, database=database)
    with Ledger(_ledger_path(ledger, data), lock_timeout=lock_timeout, waiting=_waiting) as book:
        result = draw_with_ledger(data, plan_spec, seed, book, out_dir, source=src, supersede=why)
    for label, value in draw_summary(result):
        out.print(f"{label}: {value}", markup=False)
    out.print(f"draw {result.plan_id} → {out_dir}", markup=False)


@command(app, "verify")
def verify_cmd(
    plan_dir: Annotated[Path, typer.Argument(metavar="OUT", help="The plan directory `randsup plan` wrote.")],
    data: Annotated[Path, typer.Option("--data", help="The data folder the plan was drawn from.")],
    salt_file: SaltFileOpt = None,
    salt: SaltOpt = None,
    ledger: LedgerOpt = None,
    entities: EntitiesOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Recompute the plan (or a `randsup draw` directory) from DATA and the seed: exit 0 if identical,
    1 naming each difference.

    Before the reveal an unannounced plan needs its salt (--salt-file); after it, public/reveal.json
    holds the salt. Every file of the folder must be in manifest.json (Office/OS litter is a warning).

    With the ledger (DATA/randsup-ledger.sqlite, or --ledger) the plan's ledger anchor is checked too.
    """
    from contextlib import ExitStack

    from .history.ledger import Ledger
    from .verify import verify_draw, verify_plan

    path = _ledger_path(ledger, data)
    with ExitStack() as stack:
        book = stack.enter_context(Ledger(path, create=False)) if ledger is not None or path.is_file() else None
        if entities is not None or database is not None:  # a draw from a database table: name it again
            report = verify_draw(plan_dir, data=data, salt=_salt(salt_file, salt), entities=entities,
                                 database=database, ledger=book)
            out.print(report.summary(), markup=False)
            return
        bar = _progress()
        if bar is not None:
            stack.enter_context(bar)
        report = verify_plan(plan_dir, data=data, salt=_salt(salt_file, salt), progress=bar, ledger=book)
    out.print(report.summary(), markup=False)


@command(app, "reveal")
def reveal_cmd(
    plan_dir: Annotated[Path, typer.Argument(metavar="PLAN", help="The plan directory `randsup plan` wrote.")],
    salt_file: Annotated[Path, typer.Option("--salt-file", help="The salt file `randsup salt new` wrote.")],
    data: Annotated[Path, typer.Option("--data", help="The data folder the plan was drawn from.")],
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Judge 'every visit is past' as of this day (YYYY-MM-DD; default: today); "
                        "used for the check only, never written.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Reveal before the last visit (needs --reason).")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why the reveal is early; it is published.")] = None,
    ledger: LedgerOpt = None,
    lock_timeout: LockTimeoutOpt = DEFAULT_LOCK_WAIT,
) -> None:
    """公布盐值: once every visit is past, publish the salt and the 抽查名单 (public/reveal.json,
    public/drawn-list.csv) so that anyone can recompute the draw; the manifest lists them. It is
    recorded in the ledger that recorded the plan (DATA/randsup-ledger.sqlite unless --ledger)."""
    import datetime as dt

    from .errors import InputError, Problem
    from .history.ledger import Ledger
    from .history.reveal import reveal_plan

    try:
        day = dt.date.today() if as_of is None else dt.date.fromisoformat(as_of)
    except ValueError:
        raise InputError(Problem("--as-of", None, None, as_of, "not a date; write it as YYYY-MM-DD"),
                         header="bad option") from None
    if force != (reason is not None):
        raise InputError(Problem("--force" if reason is not None else "--reason", None, None, None,
                                 "an early reveal needs both --force and --reason R (the reason is published)"),
                         header="bad option")
    salt = _salt(salt_file, None) or ""
    with Ledger(_ledger_path(ledger, data), create=False, lock_timeout=lock_timeout, waiting=_waiting) as book:
        report = reveal_plan(plan_dir, salt, data=data, as_of=day, force_reason=reason if force else None,
                             ledger=book)
    out.print(f"revealed plan {report.plan_id}: {report.drawn} drawn entities; wrote "
              + ", ".join(report.files) + (" (forced early)" if report.forced else ""), markup=False)


salt_app = typer.Typer(help="Secret salts (盐值) that keep unannounced plans unpredictable.", no_args_is_help=True)
app.add_typer(salt_app, name="salt")


@command(salt_app, "new")
def salt_new(
    salt_file: Annotated[Path, typer.Argument(metavar="FILE", help="A new file for the salt; keep it outside "
                                              "shared folders.")],
) -> None:
    """Write a fresh secret salt (owner-only file, never overwritten) and print the line for the spec."""
    from .draw.seed import new_salt_file

    commitment = new_salt_file(salt_file)
    err.print(f"wrote a new secret salt to {salt_file} (readable by you only; keep it outside shared folders "
              "and reveal it with `randsup reveal` after the last visit). Paste this line under [seed] in the "
              "plan specification before the seed sources are drawn:", markup=False)
    out.print(f'salt_commitment = "{commitment}"', markup=False)


# --- ledger, recuse, results (issue 6) ---

ledger_app = typer.Typer(help="The hash-chained history ledger (检查记录台账).", no_args_is_help=True)
results_app = typer.Typer(help="抽查结果: record, list what is due, publish.", no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")
app.add_typer(results_app, name="results")

LedgerOpt = Annotated[Path | None, typer.Option(
    "--ledger", help="The ledger file (default: DATA/randsup-ledger.sqlite with --data, else "
                     "$RANDSUP_LEDGER, else ./randsup-ledger.sqlite).")]
DataOpt = Annotated[Path | None, typer.Option("--data", help="The data directory whose ledger to use.")]

def _ledger_path(ledger: Path | None, data: Path | None) -> Path:
    import os

    from .history.ledger import LEDGER_FILE_NAME, default_ledger_path

    if ledger is not None:
        return ledger
    if data is not None:
        return default_ledger_path(data)
    return Path(os.environ.get("RANDSUP_LEDGER") or LEDGER_FILE_NAME)


@command(ledger_app, "verify")
def ledger_verify(
    folders: Annotated[list[Path] | None, typer.Argument(
        metavar="[DIR]...", help="More published folders to check as anchors (as with --anchors).")] = None,
    anchors: Annotated[list[Path] | None, typer.Option(
        "--anchors", help="A published plan or results folder whose stated ledger head must still be in the "
                          "ledger; more folders may follow.")] = None,
    ledger: LedgerOpt = None,
    data: DataOpt = None,
) -> None:
    """Check the hash chain, pending plans and the anchors: exit 0 if all hold, 1 naming each problem."""
    from .errors import VerificationError
    from .history.anchors import check_anchors
    from .history.folders import pending_problems
    from .history.ledger import Ledger

    path = _ledger_path(ledger, data)
    dirs = [*(anchors or []), *(folders or [])]
    with Ledger(path, create=False) as book:
        issues = book.verify()
        seq, head = book.head()
        if issues:
            raise VerificationError(f"the ledger {path} has been changed after it was written",
                                    differences=[str(i) for i in issues])
        problems = pending_problems(book)
        report = check_anchors(book, dirs) if dirs else None
    if report is not None:
        problems += report.problems
    notes = [] if report is None else report.notes + ([report.unanchored] if report.unanchored else [])
    if problems:
        raise VerificationError(f"the ledger {path} does not agree with the published folders",
                                differences=problems + [f"note: {n}" for n in notes])
    anchored = f"; {len(dirs)} anchor folder(s) match" if dirs else "; no anchors given (--anchors DIR…)"
    out.print(f"ledger {path} intact: {seq} records, head {seq}:{head}{anchored}", markup=False)
    for n in notes:
        out.print(f"note: {n}", markup=False)


@command(app, "recuse")
def recuse_cmd(
    plan: Annotated[Path, typer.Argument(help="The plan directory.")],
    visit: Annotated[str, typer.Option("--visit", help="The visit id (检查编号).")],
    inspector: Annotated[str, typer.Option("--inspector", help="The inspector who recuses (回避).")],
    reason: Annotated[str, typer.Option("--reason", help="Why, as it goes into the record.")],
    data: Annotated[Path, typer.Option("--data", help="The data directory the plan was made from.")],
    actor: Annotated[str, typer.Option("--actor", help="Who decided (recorded in the ledger).")] = "unnamed",
    ledger: LedgerOpt = None,
    lock_timeout: LockTimeoutOpt = DEFAULT_LOCK_WAIT,
) -> None:
    """回避、重新随机选派: replace an inspector on a visit by the next eligible one in the visit's ranking."""
    from .history.ledger import Ledger
    from .history.recuse import recuse

    with Ledger(_ledger_path(ledger, data), lock_timeout=lock_timeout, waiting=_waiting) as book:
        change = recuse(plan, visit, inspector, reason, actor, data=data, ledger=book)
    out.print(f"visit {change.visit_id}, department {change.department_id}: {change.inspector_out} → "
              f"{change.inspector_in} (ticket rank {change.rank}); recorded, plan rewritten")


@command(results_app, "record")
def results_record(
    results_file: Annotated[Path, typer.Argument(help="CSV or XLSX, e.g. the plan's results-templates/<department>"
                                                      ".xlsx filled in: 检查编号, 检查部门 (name or code), 检查结果, "
                                                      "结果细类, 检查日期, 备注. For a `randsup draw` folder: "
                                                      "统一社会信用代码 (entity_id), 任务编号 (task_id), 检查部门, "
                                                      "检查结果, 检查日期.")],
    plan: Annotated[Path, typer.Option("--plan", help="The plan directory (or a `randsup draw` folder).")],
    ledger: LedgerOpt = None,
    data: DataOpt = None,
    lock_timeout: LockTimeoutOpt = DEFAULT_LOCK_WAIT,
) -> None:
    """Record 抽查结果 in the ledger, each with its 20-working-day publication deadline; results of a
    draw-only result count toward the annual cap of later plans and draws."""
    from .history.ledger import Ledger
    from .history.results import record_results

    with Ledger(_ledger_path(ledger, data), lock_timeout=lock_timeout, waiting=_waiting) as book:
        recorded = record_results(results_file, plan, book)
    last = max(r.deadline for r in recorded) if recorded else None
    corrections = sum(r.corrects is not None for r in recorded)
    out.print(f"recorded {len(recorded) - corrections} new result(s) and {corrections} correction(s); rows "
              "already recorded unchanged were skipped" + (f"; latest publication deadline {last}" if last else ""))


@command(results_app, "publish")
def results_publish(
    plan: Annotated[Path, typer.Option("--plan", help="The plan directory.")],
    out_dir: Annotated[Path, typer.Option("--out", help="A new folder for the 抽查结果公告.")],
    salt: Annotated[str | None, typer.Option(
        "--salt", hidden=True, help="Old option: only the salt `randsup reveal` published is accepted.")] = None,
    ledger: LedgerOpt = None,
    data: DataOpt = None,
    department: Annotated[str | None, typer.Option(
        "--department", help="Publish only this department's new results (谁检查、谁录入、谁公开); "
                             "its code or name.")] = None,
    all_results: Annotated[bool, typer.Option(
        "--all", help="Publish every recorded result again, not only the new ones (e.g. after `randsup reveal`, "
                      "so that the notice shows the seed).")] = False,
) -> None:
    """Write the 抽查结果公告 (Markdown, HTML, JSON) and note it in the ledger; the seed is shown once
    `randsup reveal` has published the salt."""
    from .history.ledger import Ledger
    from .history.results import publish_results

    with Ledger(_ledger_path(ledger, data), create=False) as book:
        published = publish_results(plan, out_dir, book, salt=salt, department=department,
                                    include_published=all_results)
    out.print(f"published {len(published)} result(s) to {out_dir}")


@command(results_app, "due")
def results_due(
    on: Annotated[str | None, typer.Option("--on", help="Judge as of this date (YYYY-MM-DD; default: today).")]
    = None,
    ledger: LedgerOpt = None,
    data: DataOpt = None,
) -> None:
    """List recorded results not yet published: overdue ones first, then those still due."""
    import datetime as dt

    from .errors import InputError, Problem
    from .history.ledger import Ledger
    from .history.results import due_results

    try:
        day = dt.date.today() if on is None else dt.date.fromisoformat(on)
    except ValueError:
        raise InputError(Problem("--on", None, None, on, "not a date; write it as YYYY-MM-DD"),
                         header="bad option") from None
    with Ledger(_ledger_path(ledger, data), create=False) as book:
        due = due_results(book, day)
    if not due:
        out.print(f"nothing due on {day}: every recorded result is published")
        return
    for d in sorted(due, key=lambda d: d.status != "overdue"):
        r = d.result
        out.print(f"{d.status:8} {r.deadline}  {r.plan_id} {r.visit_id} {r.department_id}  "
                  f"{r.entity_id} {r.entity_name}  {r.result}", markup=False)
    n_over = sum(d.status == "overdue" for d in due)
    out.print(f"{n_over} overdue, {len(due) - n_over} due (as of {day})")

# --- 一公开 for the public: the static verification site (issue 15) ---


@command(app, "site")
def site_cmd(
    plan_dir: Annotated[Path, typer.Argument(metavar="PLAN_DIR", help="The plan directory `randsup plan` wrote.")],
    out_dir: Annotated[Path, typer.Option("--out", help="A new folder for the site (static HTML, CSS, JavaScript).")],
    results: Annotated[list[Path] | None, typer.Option(
        "--results", help="A folder `results publish` wrote; repeat for several. A revealed salt in it "
                          "opens the per-entity draw check.")] = None,
) -> None:
    """Write a static Chinese site where anyone checks the seed, and any entity its own draw, in the browser."""
    from .publish.site import write_site

    target = write_site(plan_dir, out_dir, results or ())
    out.print(f"site written to {target}; open {target / 'index.html'} in a browser", markup=False)


# --- bench (issue 7) ---

bench_app = typer.Typer(help="Benchmarks: fairness of the draws and teams against today's baselines.",
                        no_args_is_help=True)
app.add_typer(bench_app, name="bench")


@command(bench_app, "fairness")
def bench_fairness_cmd(
    seeds: Annotated[int, typer.Option("--seeds", min=1, help="Public seeds (quarters) in the Monte Carlo; "
                                       "1000 for the full run, 100 for a quick one.")] = 1_000,
    report: Annotated[Path | None, typer.Option("--report", help="Write report.md and PNG plots into this "
                                                "folder (needs matplotlib: the 'bench' extra).")] = None,
    entities: Annotated[int, typer.Option("--entities", help="Entities of the demo district.")] = 20_000,
    inspectors: Annotated[int, typer.Option("--inspectors", help="Inspectors of the demo district.")] = 1_000,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Processes (default: every core); "
                                                "the figures do not depend on it.")] = None,
) -> None:
    """Plan the demo quarter under many seeds; compare randsup's inclusion, inspector equality,
    predictability and burden with random.sample + round-robin groups and a fixed-cost optimiser."""
    from rich.progress import Progress
    from rich.table import Table

    from .bench.fairness import demo_setting, run_fairness, summary_rows, write_report

    setting = demo_setting(entities=entities, inspectors=inspectors)
    with Progress(console=err, transient=True) as bar:
        job = bar.add_task(f"{seeds} quarters", total=None)
        result = run_fairness(setting, seeds=seeds, workers=workers,
                              progress=lambda done, total: bar.update(job, completed=done, total=total))
    header, rows = summary_rows(result, short=True)
    table = Table(*header, title=f"fairness over {seeds} seeds: {entities:,} entities, "
                  f"{inspectors:,} inspectors, {result.tasks} tasks")
    for row in rows:
        table.add_row(*(escape(c) for c in row))
    out.print(table)
    out.print(f"{result.seconds:.1f} s on {result.workers} process(es); {result.machine}", markup=False)
    if report is not None:
        path = write_report(result, report)
        out.print(f"report: {path}", markup=False)


def main() -> None:
    """Console-script entry point: the CLI's last line of defence, so no command prints a traceback."""
    try:
        build()(prog_name="randsup")
    except RandsupError as exc:  # raised outside a command (e.g. while parsing options)
        err.print(f"error: {visible(str(exc))}", markup=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted; nothing was recorded for the unfinished step", markup=False)
        sys.exit(130)
    except Exception as exc:  # a bug in randsup: short, actionable, no traceback
        from .version import __version__

        err.print(f"internal error in randsup {__version__}: {type(exc).__name__}: {visible(str(exc))[:500]}\n"
                  "This is a bug. Please report it with the command you ran and this message "
                  "(set RANDSUP_DEBUG=1 to see the traceback).", markup=False)
        if os.environ.get("RANDSUP_DEBUG"):
            raise
        sys.exit(3)
