"""The ``aggregator`` command: a thin layer over the package's Python API.

Each command imports what it needs when it runs: ``aggregator --help``, ``check`` and
``status`` never load the fetching, parsing, story, attribution, publishing or service
stacks (``tests/test_cli.py`` checks what importing this module loads).
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from aggregator import __version__, logs
from aggregator import status as source_status
from aggregator.memory import collect_cycles_less_often, limit_malloc_arenas

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Column, Table

    from aggregator.attribution import KnownSource
    from aggregator.config import Settings, SourceConfig
    from aggregator.pipeline import SourceOutcome
    from aggregator.storage import SourceState, Store


@functools.cache
def console() -> Console:
    """Standard output, through rich (imported on first use)."""
    from rich.console import Console

    return Console()


@functools.cache
def err_console() -> Console:
    """Standard error, through rich (the progress bar of ``fetch``, config problems)."""
    from rich.console import Console

    return Console(stderr=True)


class _Group(click.Group):
    """A command group whose help lists each command's description whole (click cuts
    them at about 45 characters with "..."), wrapped to the terminal."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


GLOBAL_OPTIONS = ("--config", "--log-level", "--log-format")
"""Options of ``aggregator`` itself that are accepted after the command too."""


def hoist_global_options(args: Sequence[str]) -> list[str]:
    """The arguments with ``GLOBAL_OPTIONS`` (and their values) moved before the command,
    so that ``aggregator fetch --log-level debug`` means ``aggregator --log-level debug
    fetch``. Nothing after ``--`` is moved."""
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest.extend(args[index:])
            break
        if arg.split("=", 1)[0] in GLOBAL_OPTIONS:
            size = 1 if "=" in arg else 2
            front.extend(args[index : index + size])
            index += size
            continue
        rest.append(arg)
        index += 1
    return front + rest


class _RootGroup(_Group):
    """``aggregator``: its own options are accepted before or after the command."""

    group_class = _Group  # its subgroups (``sources``, ``opml``) list whole descriptions

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(args))


@click.group(cls=_RootGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    default="feeds.yaml",
    envvar="AGGREGATOR_CONFIG",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The configuration file (env AGGREGATOR_CONFIG).",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
    help="How much the service logs to stderr.",
)
@click.option(
    "--log-format",
    default="text",
    show_default=True,
    type=click.Choice(["text", "json"]),
    help="key=value lines, or one JSON object per line.",
)
@click.version_option(__version__, prog_name="aggregator")
@click.pass_context
def main(ctx: click.Context, config_path: str, log_level: str, log_format: str) -> None:
    """Fetch news sources, fold duplicates and republish one combined feed."""
    limit_malloc_arenas()
    collect_cycles_less_often()
    logs.configure(log_level, log_format)
    ctx.obj = config_path


def _settings(ctx: click.Context) -> Settings:
    from aggregator.config import load_settings
    from aggregator.errors import ConfigError

    try:
        return load_settings(ctx.obj)
    except ConfigError as exc:
        err_console().print(
            f"[bold red]invalid configuration[/] ({len(exc.problems)} problem(s)):", highlight=False
        )
        for problem in exc.problems:
            err_console().print(f"  {problem}", markup=False, highlight=False)
        ctx.exit(2)
        raise  # unreachable: ctx.exit raises


@contextlib.contextmanager
def _open_store(settings: Settings) -> Iterator[Store]:
    from aggregator.errors import AggregatorError
    from aggregator.storage import Store

    try:
        settings.store_dir.mkdir(parents=True, exist_ok=True)
        store = Store.open(settings.database_url)
    except (AggregatorError, OSError) as exc:
        click.echo(f"error: {exc}", err=True)  # one line, whatever the terminal's width
        sys.exit(1)
    try:
        yield store
    finally:
        store.close()


# -- run -----------------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port to listen on.")
@click.pass_context
def run(ctx: click.Context, host: str, port: int) -> None:
    """Run the service: the scheduler and the HTTP server in one process."""
    from aggregator import service

    settings = _settings(ctx)
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    url = f"http://{host}:{port}/"
    with (
        service.single_scheduler(settings),
        service.listening(host, port) as listener,
        _open_store(settings) as store,
    ):
        exit_code = service.serve(settings, store, listener, url)
    ctx.exit(exit_code)


# -- fetch, publish ----------------------------------------------------------------------


@main.command()
@click.option(
    "--source",
    "source_ids",
    multiple=True,
    metavar="ID",
    help="Fetch only this source (repeatable).",
)
@click.pass_context
def fetch(ctx: click.Context, source_ids: tuple[str, ...]) -> None:
    """Fetch sources once, store their items and republish the output files if what they
    show changed."""
    import asyncio

    from aggregator.memory import return_freed_memory
    from aggregator.pipeline import release_story_decision, settle_stories, shutdown_pools
    from aggregator.registry import enabled_sources, sync_sources

    settings = _settings(ctx)
    known = {s.id for s in settings.sources}
    unknown = [s for s in source_ids if s not in known]
    if unknown:
        raise click.BadParameter(
            f"unknown source id(s): {', '.join(unknown)}", param_hint="--source"
        )
    chosen = (
        [s for s in settings.sources if s.id in source_ids]
        if source_ids
        else (enabled_sources(settings))
    )
    with _open_store(settings) as store:
        sync_sources(store, settings)
        try:
            outcomes = asyncio.run(_fetch_all(settings, store, chosen))
        finally:
            shutdown_pools()  # idle from here on: their memory goes before the stories'
        settle_stories(store, settings.config.dedup)
        # Publishing may load natasha's models: give back the window's memory first (a
        # full collection costs ~30 ms after the imports, for nothing when none was made).
        if release_story_decision(store):
            return_freed_memory()
        published = _publish_or_fail(store, settings, outcomes)
    table = _outcome_table(outcomes)
    if table is not None:
        console().print(table)
    quiet = len(outcomes) - (table.row_count if table is not None else 0)
    if quiet:
        noun = "source" if quiet == 1 else "sources"
        console().print(f"{quiet} {noun} with nothing new (not listed)", highlight=False)
    if published is not None:
        _fail(ctx, published, 1)
    failed = sum(1 for outcome in outcomes if outcome.error)
    console().print(fetch_summary(len(outcomes), failed), highlight=False, markup=False)
    ctx.exit(1 if failed else 0)


def fetch_summary(total: int, failed: int) -> str:
    """The last line of ``aggregator fetch``: how many sources failed, and where to look."""
    noun = "source" if total == 1 else "sources"
    if failed:
        return f"{failed} of {total} {noun} failed; see `aggregator status`"
    return f"all {total} {noun} fetched" if total != 1 else "the source was fetched"


def _publish_or_fail(
    store: Store, settings: Settings, outcomes: Sequence[SourceOutcome]
) -> str | None:
    """Publish after a fetch. A full disk (the store's, while saving items, or the output's)
    is the one line returned, for exit 1; the last good output files stay."""
    from aggregator.errors import AggregatorError, DiskFullError
    from aggregator.publish import publish_if_changed

    try:
        publish_if_changed(store, settings, datetime.now(UTC))
    except AggregatorError as exc:
        return str(exc)
    full = [o.error for o in outcomes if o.kind == DiskFullError.kind and o.error]
    return full[0] if full else None


async def _fetch_all(
    settings: Settings, store: Store, sources: Sequence[SourceConfig]
) -> list[SourceOutcome]:
    """Refresh ``sources`` concurrently (bounded), their stored states read in one query
    rather than one each."""
    import asyncio

    from aggregator.fetch import Fetcher
    from aggregator.pipeline import refresh_source

    found = store.source_states([s.id for s in sources], counts=False)
    states = {state.id: state for state in found}
    limit = asyncio.Semaphore(settings.config.fetch.concurrency)
    async with Fetcher(settings.config.fetch) as fetcher:
        with _progress(len(sources)) as advance:

            async def one(source: SourceConfig) -> SourceOutcome:
                async with limit:
                    state = states.get(source.id)
                    outcome = await refresh_source(
                        source, settings, fetcher, store, state=state, settle=False
                    )
                advance()
                return outcome

            return list(await asyncio.gather(*(one(s) for s in sources)))


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[], None]]:
    """A progress bar of ``total`` steps on a terminal (rich.progress is imported only
    then: ~0.1 s); elsewhere a step does nothing."""
    if not err_console().is_terminal:
        yield lambda: None
        return
    from rich.progress import Progress

    with Progress(console=err_console(), transient=True) as bar:
        task = bar.add_task("Fetching", total=total)
        yield lambda: bar.advance(task)


def _outcome_table(outcomes: Sequence[SourceOutcome]) -> Table | None:
    """The sources whose fetch stored new or edited items or failed (None: none did).
    The others are only counted: on a warm run every row said "304 0 0", and rich took
    ~0.4 s to lay out 200 of them, more than their requests."""
    shown = [outcome for outcome in outcomes if outcome.changed or outcome.error]
    if not shown:
        return None
    from rich.table import Table

    table = Table(title="Fetch summary")
    for column in ("source", "HTTP", "new", "updated", "error"):
        table.add_column(column, overflow="fold")
    for outcome in shown:
        table.add_row(
            outcome.source_id,
            str(outcome.status or "–"),
            str(outcome.new),
            str(outcome.updated),
            outcome.error or "",
        )
    return table


@main.command(name="publish")
@click.pass_context
def publish_command(ctx: click.Context) -> None:
    """Re-render the output files from the store."""
    from aggregator.errors import AggregatorError
    from aggregator.publish import publish

    settings = _settings(ctx)
    with _open_store(settings) as store:
        try:
            publish(store, settings, datetime.now(UTC))
        except AggregatorError as exc:  # a full disk: the last good files stay
            _fail(ctx, str(exc), 1)
    console().print(
        f"wrote {settings.public_dir}/feed.xml, feed.atom, feed.json, index.html", highlight=False
    )


# -- check, status -----------------------------------------------------------------------


@main.command()
@click.pass_context
def check(ctx: click.Context) -> None:
    """Validate the configuration and list the sources."""
    from rich.table import Table

    settings = _settings(ctx)
    table = Table(title=f"{settings.path}: {len(settings.sources)} source(s), valid")
    for column in ("id", "name", "type", "url", "interval", "language"):
        table.add_column(column, overflow="fold")
    for source in settings.sources:
        table.add_row(
            source.id,
            source.name,
            source.type,
            source.url,
            _duration(settings.interval(source).total_seconds()),
            source.language or "auto",
        )
    console().print(table)
    for source_id, notice in _stored_notices(settings):
        console().print(f"{source_id}: {notice}", highlight=False)


def _stored_notices(settings: Settings) -> list[tuple[str, str]]:
    """Advice from the store (a source that moved for good), if the store exists yet."""
    if settings.config.database is None and not settings.database_path.exists():
        return []
    from aggregator.errors import AggregatorError
    from aggregator.storage import Store

    try:
        store = Store.open(settings.database_url)
    except AggregatorError:
        return []
    try:
        now = datetime.now(UTC)
        states = store.source_states([s.id for s in settings.sources])
        return [(s.id, n) for s in states if (n := s.move_notice(now))]
    finally:
        store.close()


@main.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Show each source's last fetch, HTTP status, items and last error."""
    from aggregator.registry import sync_sources

    settings = _settings(ctx)
    with _open_store(settings) as store:
        sync_sources(store, settings)
        states = store.source_states([s.id for s in settings.sources])
    console().print(status_table(states, console().width))


@main.command()
@click.option(
    "--limit",
    default=20,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="How many of the newest stories.",
)
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="List single-item stories too (by default only those of several items).",
)
@click.pass_context
def stories(ctx: click.Context, limit: int, show_all: bool) -> None:
    """List recent stories with their member items, to inspect the folding."""
    from rich.table import Table

    from aggregator.publish import source_refs

    settings = _settings(ctx)
    with _open_store(settings) as store:
        entries = store.latest_entries(limit * (1 if show_all else 5), source_refs(store, settings))
    shown = [e for e in entries if show_all or len(e.members) > 1][:limit]
    table = Table(title=f"{len(shown)} stor{'y' if len(shown) == 1 else 'ies'}", show_lines=True)
    for column in ("story", "published", "members (source: title)"):
        table.add_column(column, overflow="fold")
    for entry in shown:
        members = "\n".join(
            f"{'*' if m.source.id == entry.source.id and m.link == entry.link else ' '} "
            f"{m.source.name}: {m.title} ({source_status.when(m.published)})"
            for m in entry.members
        )
        table.add_row(
            entry.id.removeprefix("urn:uuid:")[:13], source_status.when(entry.published), members
        )
    console().print(table)
    console().print("* the member shown in the output", highlight=False)


@main.command()
@click.option(
    "--older-than",
    "older_than",
    default=None,
    metavar="DURATION",
    help="Override the config's retention (e.g. 30d).",
)
@click.pass_context
def purge(ctx: click.Context, older_than: str | None) -> None:
    """Delete stories older than the retention that no output shows (the service does
    this daily), then republish."""
    from aggregator.config import parse_duration
    from aggregator.publish import publish, shown_story_ids

    settings = _settings(ctx)
    try:
        retention = parse_duration(older_than) if older_than else settings.config.retention
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--older-than") from exc
    with _open_store(settings) as store:
        keep = shown_story_ids(store, settings)
        purged = store.purge(datetime.now(UTC) - retention, keep)
        publish(store, settings, datetime.now(UTC))
    console().print(
        f"purged {purged} stor{'y' if purged == 1 else 'ies'} older than "
        f"{_duration(retention.total_seconds())}",
        highlight=False,
    )


@main.command(name="attribution")
@click.argument("text")
@click.option(
    "--publisher",
    "publisher_id",
    metavar="ID",
    help="The source publishing the text (default: the first configured).",
)
@click.option(
    "--language",
    type=click.Choice(["ru", "kk", "en"]),
    help="The line's language (default: the output's).",
)
@click.pass_context
def attribution_command(
    ctx: click.Context, text: str, publisher_id: str | None, language: str | None
) -> None:
    """Show what attribution finds in TEXT and the line it would write (to tune aliases)."""
    from rich.table import Table

    from aggregator import attribution
    from aggregator.publish import source_directory

    settings = _settings(ctx)
    directory = source_directory(settings)
    publisher = _publisher_for(settings, publisher_id)
    found = attribution.attribute(
        publisher,
        None,
        "",
        text,
        text,
        directory,
        language or settings.config.output.language,
        templates=settings.config.attribution.templates or None,
    )
    table = Table(title="Credited chain, outermost first")
    for column in ("#", "name (dictionary form)", "role", "matched source"):
        table.add_column(column)
    for number, credit in enumerate(found.credited, 1):
        table.add_row(str(number), credit.name, credit.role, credit.source_id or "–")
    console().print(table)
    console().print(f"publisher: {publisher.name}", highlight=False)
    console().print(
        f"origin: {found.origin_name} ({found.origin_source_id or 'not a source'})", highlight=False
    )
    console().print(f"line: {found.line}", highlight=False)


def _publisher_for(settings: Settings, publisher_id: str | None) -> KnownSource:
    from aggregator.attribution import KnownSource

    chosen = (
        [s for s in settings.sources if s.id == publisher_id]
        if publisher_id
        else list(settings.sources[:1])
    )
    if publisher_id and not chosen:
        raise click.BadParameter(f"unknown source id {publisher_id!r}", param_hint="--publisher")
    if not chosen:
        return KnownSource(id=None, name="Publisher")
    source = chosen[0]
    return KnownSource(id=source.id, name=source.name, aliases=source.aliases, forms=source.forms)


# -- sources and OPML ----------------------------------------------------------------------


@main.group(cls=_Group)
def sources() -> None:
    """List, add and remove sources (editing the config file, comments kept)."""


@sources.command(name="list")
@click.pass_context
def sources_list(ctx: click.Context) -> None:
    """List the configured sources."""
    from rich.table import Table

    settings = _settings(_root(ctx))
    table = Table(title=f"{len(settings.sources)} source(s)")
    for column in ("id", "name", "type", "url", "enabled"):
        table.add_column(column, overflow="fold")
    for source in settings.sources:
        table.add_row(
            source.id, source.name, source.type, source.url, "yes" if source.enabled else "no"
        )
    console().print(table)


@sources.command(name="add")
@click.argument("url")
@click.option("--id", "source_id", help="The source id (default: made from the name).")
@click.option("--name", help="The display name (default: the feed's title).")
@click.pass_context
def sources_add(ctx: click.Context, url: str, source_id: str | None, name: str | None) -> None:
    """Find the feed of URL (a feed, or a page that links to one), check it and add it."""
    import asyncio

    from aggregator import manage
    from aggregator.errors import AggregatorError, ConfigError

    root = _root(ctx)
    settings = _settings(root)
    try:
        found = asyncio.run(manage.find_feed(url, settings))
        entry = manage.new_source_entry(found, settings, source_id, name)
        manage.add_found(settings.path, entry)
    except ConfigError as exc:
        _fail(root, "\n".join(exc.problems), 2)
    except AggregatorError as exc:
        _fail(root, str(exc), 1)
    console().print(
        f"added {entry['id']}: {entry['name']} <{entry['url']}> ({found.entries} entries now)",
        highlight=False,
    )


@sources.command(name="remove")
@click.argument("source_id")
@click.pass_context
def sources_remove(ctx: click.Context, source_id: str) -> None:
    """Remove a source from the config file (its stored items stay until purged)."""
    from aggregator import feedsfile
    from aggregator.errors import ConfigError

    root = _root(ctx)
    settings = _settings(root)
    try:
        feedsfile.remove_source(settings.path, source_id)
    except ConfigError as exc:
        _fail(root, "\n".join(exc.problems), 2)
    console().print(f"removed {source_id}", highlight=False)


@main.group(name="eval", cls=_Group)
def evaluation() -> None:
    """Measure the aggregator on labelled data."""


@evaluation.command(name="stories")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--order", type=int, default=None, help="Fetch the outlets one by one, shuffled.")
@click.option("--each", is_flag=True, help="With --order: each outlet in a refresh of its own.")
@click.option("--quiet", is_flag=True, help="The figures only, no list of pairs.")
def eval_stories(file: Path, order: int | None, each: bool, quiet: bool) -> None:
    """Run the labelled records of FILE (JSON Lines) through the real pipeline in a
    temporary store, one RSS feed per outlet; print pairwise precision and recall, and
    the wrong and missed pairs."""
    from aggregator.evaluate import stories  # lazily: the harness is rarely needed

    console().print(stories.report(file, order, quiet, each), highlight=False, markup=False)


@evaluation.command(name="attribution")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--misses", is_flag=True, help="List every case credited wrongly or not at all.")
def eval_attribution(file: Path, misses: bool) -> None:
    """Serve the labelled sentences of FILE (JSON Lines) as items of one feed, fetch them
    in a fresh process and store, and print per language the precision and recall of the
    credited origin."""
    from aggregator.evaluate import attribution as attribution_eval

    console().print(attribution_eval.report(file, misses), highlight=False, markup=False)


@main.group(cls=_Group)
def opml() -> None:
    """Import sources from OPML, or export them."""


@opml.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def opml_import(ctx: click.Context, file: Path) -> None:
    """Add the feeds of an OPML file that are not configured yet."""
    from aggregator import manage
    from aggregator.errors import AggregatorError, ConfigError

    root = _root(ctx)
    settings = _settings(root)
    try:
        added = manage.import_opml(settings.path, file.read_bytes(), settings)
    except ConfigError as exc:
        _fail(root, "\n".join(exc.problems), 2)
    except AggregatorError as exc:
        _fail(root, str(exc), 1)
    console().print(f"added {len(added)} source(s): {', '.join(added) or 'none'}", highlight=False)


@opml.command(name="export")
@click.pass_context
def opml_export(ctx: click.Context) -> None:
    """Write the sources as OPML 2.0 to standard output."""
    from aggregator import manage

    settings = _settings(_root(ctx))
    click.echo(manage.export_opml(settings).decode("utf-8"), nl=False)


def _root(ctx: click.Context) -> click.Context:
    return ctx.find_root()


def _fail(ctx: click.Context, message: str, code: int) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    ctx.exit(code)
    raise SystemExit(code)  # unreachable: ctx.exit raises


STATUS_LAYOUTS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (140, source_status.COLUMNS),
    (100, ("source", "last_fetch", "http", "items", "errors", "next_fetch", "notice")),
    (0, ("source", "last_fetch", "http", "items", "errors", "notice")),
)
"""The status table's columns by terminal width: the less important ones go first."""


def status_table(states: Sequence[SourceState], width: int) -> Table:
    """The sources as a table that fits ``width`` columns: narrow terminals get short
    times, fewer columns, ids cut with "…" and the notice folded."""
    from rich.table import Table

    columns = next(chosen for least, chosen in STATUS_LAYOUTS if width >= least)
    compact = width < STATUS_LAYOUTS[0][0]
    table = Table(
        *(_status_column(column) for column in columns),
        title="Sources" + (" (times in UTC)" if compact else ""),
    )
    now = datetime.now(UTC)
    for state in states:
        cells = source_status.status_cells(state, now, compact=compact)
        table.add_row(*(cells[column] for column in columns))
    return table


def _status_column(column: str) -> Column:
    """Short values never wrap (ids are cut with "…"); the long ones fold."""
    from rich.table import Column

    header = source_status.column_title(column)
    if column == "source":
        return Column(header, no_wrap=True, overflow="ellipsis", max_width=20)
    if column in ("items", "errors"):
        return Column(header, no_wrap=True, justify="right")
    if column == "next_fetch":
        return Column(header, overflow="fold")
    if column == "notice":
        return Column(header, overflow="fold", ratio=1)
    return Column(header, no_wrap=True)


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
