"""`toex-dbt` builds a dbt log line only for a logger that keeps it (dbt_main.py,
`skip_lines_below_level`): the lines written stay exactly dbt's, the dropped ones are no longer
built. Fast: dbt-common's loggers on in-memory streams, no dbt run."""

from __future__ import annotations

import hashlib
import inspect
import io

import pytest
from dbt_common.events import logger as dbt_logger
from dbt_common.events.base_types import EventLevel, msg_from_base_event
from dbt_common.events.types import Note, PrintEvent, SystemExecutingCmd

from dagster_project import dbt_main

# dbt-common's code that `skip_lines_below_level` reproduces (the level each line is sent at,
# the logger's level): a new dbt-common must be looked at again before this is updated.
PINNED_SOURCE_SHA256 = "2a6e311bfb45c44541c228ea1bbacf8ce6ea70cfe3af27ec1f53e448b96aaf9a"


def _dbt_source() -> str:
    return "".join(
        inspect.getsource(f)
        for f in (
            dbt_logger._Logger.write_line,
            dbt_logger._Logger._get_python_log_for_handler,
            dbt_logger.send_to_logger,
            dbt_logger._is_print_event,
        )
    ) + repr(dbt_logger._log_level_map)


def test_the_replaced_method_is_dbt_commons_as_pinned():
    assert hashlib.sha256(_dbt_source().encode()).hexdigest() == PINNED_SOURCE_SHA256


def _messages():
    """Every level dbt fires at, a print event (sent as an error) among them."""
    events = [
        (SystemExecutingCmd(cmd=["git", "--version"]), None),
        (Note(msg="an info line"), None),
        (Note(msg="a note fired as debug"), EventLevel.DEBUG),
        (Note(msg="a note fired as a warning"), EventLevel.WARN),
        (Note(msg="an error"), EventLevel.ERROR),
        (PrintEvent(msg="printed"), None),
        (Note(msg="a test-level note"), EventLevel.TEST),
    ]
    return [msg_from_base_event(e, level=level) for e, level in events]


def _write(messages, line_format, level, name):
    out = io.StringIO()
    log = (
        dbt_logger._JsonLogger
        if line_format == dbt_logger.LineFormat.Json
        else dbt_logger._TextLogger
    )(dbt_logger.LoggerConfig(name=name, line_format=line_format, level=level, output_stream=out))
    built = []
    create_line = log.create_line

    def counting(msg):
        built.append(msg.info.msg)
        return create_line(msg)

    log.create_line = counting
    for msg in messages:
        log.write_line(msg)
    return out.getvalue(), built


@pytest.mark.parametrize(
    "line_format", [dbt_logger.LineFormat.Json, dbt_logger.LineFormat.PlainText]
)
@pytest.mark.parametrize(
    "level", [EventLevel.DEBUG, EventLevel.INFO, EventLevel.WARN, EventLevel.ERROR]
)
def test_the_lines_written_are_dbts_and_dropped_ones_are_not_built(monkeypatch, line_format, level):
    messages = _messages()
    name = f"toex-test-{line_format.value}-{level.value}"
    dbts, dbts_built = _write(messages, line_format, level, name + "-dbt")
    monkeypatch.delenv(dbt_main.LOG_FILTER_ENV, raising=False)
    monkeypatch.setattr(dbt_logger._Logger, "write_line", dbt_logger._Logger.write_line)
    dbt_main.skip_lines_below_level()
    ours, ours_built = _write(messages, line_format, level, name + "-toex")
    assert ours == dbts
    assert len(dbts_built) == len(messages)  # dbt builds every line, kept or not
    kept = {EventLevel.DEBUG: 7, EventLevel.INFO: 4, EventLevel.WARN: 3, EventLevel.ERROR: 2}[level]
    assert len(ours_built) == kept == len(ours.splitlines())


def test_switched_off_dbt_writes_as_before(monkeypatch):
    monkeypatch.setattr(dbt_logger._Logger, "write_line", dbt_logger._Logger.write_line)
    original = dbt_logger._Logger.write_line
    monkeypatch.setenv(dbt_main.LOG_FILTER_ENV, "0")
    dbt_main.skip_lines_below_level()
    assert dbt_logger._Logger.write_line is original
