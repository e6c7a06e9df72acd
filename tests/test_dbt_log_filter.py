"""`toex-dbt` builds a dbt log line, and turns a debug event into a message, only for a logger
that keeps it (dbt_main.py, `skip_lines_below_level`): the lines written stay exactly dbt's, the
dropped ones are no longer built. Fast: dbt-common's loggers on in-memory streams, no dbt run."""

from __future__ import annotations

import ast
import hashlib
import inspect
import io
import json
import sys
import types
from pathlib import Path

import dbt_common
import pytest
from dbt_common.events import event_manager
from dbt_common.events import logger as dbt_logger
from dbt_common.events.base_types import EventLevel, msg_from_base_event
from dbt_common.events.types import Note, PrintEvent, SystemExecutingCmd

from dagster_project import dbt_main

# dbt-common's code that `skip_lines_below_level` reproduces (the level each line is sent at,
# the logger's level): a new dbt-common must be looked at again before this is updated.
PINNED_SOURCE_SHA256 = "b23b84b40d53bc58d33f3a953ab5e8b6bd77a6ea3b87fdec0eebf13a20759715"


def _dbt_core_function(module: str, name: str) -> str:
    """A function's source in dbt-core, read from its file: this process may not import dbt-core
    (the definitions block it: tests/test_dbt_core_not_imported.py)."""
    path = Path(dbt_common.__file__).parent.parent.joinpath(*module.split(".")).with_suffix(".py")
    text = path.read_text()
    node = next(
        n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef) and n.name == name
    )
    return ast.get_source_segment(text, node)


def _dbt_source() -> str:
    return (
        "".join(
            inspect.getsource(f)
            for f in (
                dbt_logger._Logger.write_line,
                dbt_logger._Logger._get_python_log_for_handler,
                dbt_logger.send_to_logger,
                dbt_logger._is_print_event,
                event_manager.EventManager.fire_event,
            )
        )
        + _dbt_core_function("dbt.tracking", "track_behavior_change_warn")
        + repr((dbt_logger._log_level_map, dbt_logger.PRINT_EVENT_NAMES))
    )


def _dbt_tracker(monkeypatch):
    """dbt's behaviour-change tracker, the callback dbt-core always registers, as the filter
    finds it (`sys.modules["dbt.tracking"]`), without importing dbt-core here."""
    module = types.ModuleType("dbt.tracking")

    def track_behavior_change_warn(msg) -> None:  # dbt's reads behaviour-change events only
        assert msg.info.name != "BehaviorChangeEvent"

    module.track_behavior_change_warn = track_behavior_change_warn
    monkeypatch.setitem(sys.modules, "dbt.tracking", module)
    return track_behavior_change_warn


def test_the_replaced_method_is_dbt_commons_as_pinned():
    assert hashlib.sha256(_dbt_source().encode()).hexdigest() == PINNED_SOURCE_SHA256


def _restored_after(monkeypatch) -> None:
    """dbt-common's methods that `skip_lines_below_level` replaces, put back after the test."""
    monkeypatch.setattr(dbt_logger._Logger, "write_line", dbt_logger._Logger.write_line)
    monkeypatch.setattr(
        event_manager.EventManager, "fire_event", event_manager.EventManager.fire_event
    )


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
    _restored_after(monkeypatch)
    dbt_main.skip_lines_below_level()
    ours, ours_built = _write(messages, line_format, level, name + "-toex")
    assert ours == dbts
    assert len(dbts_built) == len(messages)  # dbt builds every line, kept or not
    kept = {EventLevel.DEBUG: 7, EventLevel.INFO: 4, EventLevel.WARN: 3, EventLevel.ERROR: 2}[level]
    assert len(ours_built) == kept == len(ours.splitlines())


def test_switched_off_dbt_writes_as_before(monkeypatch):
    _restored_after(monkeypatch)
    original = dbt_logger._Logger.write_line
    monkeypatch.setenv(dbt_main.LOG_FILTER_ENV, "0")
    dbt_main.skip_lines_below_level()
    assert dbt_logger._Logger.write_line is original


def _fire(events, level, callbacks):
    """Fire `events` through an EventManager with a JSON logger at `level` and `callbacks`;
    (the lines written, the events made messages)."""
    out = io.StringIO()
    manager = event_manager.EventManager()
    manager.add_logger(
        dbt_logger.LoggerConfig(
            name=f"toex-test-events-{level.value}-{len(callbacks)}-{id(out)}",
            line_format=dbt_logger.LineFormat.Json,
            level=level,
            output_stream=out,
        )
    )
    for callback in callbacks:
        manager.add_callback(callback)
    made = []
    real = event_manager.msg_from_base_event

    def counting(e, level=None):
        made.append(type(e).__name__)
        return real(e, level=level)

    event_manager.msg_from_base_event = counting
    try:
        for e, at in events:
            manager.fire_event(e, level=at)
    finally:
        event_manager.msg_from_base_event = real
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    return [(d["info"]["level"], d["info"]["name"], d["info"]["msg"]) for d in lines], made


@pytest.mark.parametrize("level", [EventLevel.DEBUG, EventLevel.INFO, EventLevel.WARN])
def test_a_debug_event_no_logger_keeps_is_not_made_a_message(monkeypatch, level):
    tracker = _dbt_tracker(monkeypatch)
    events = [
        (SystemExecutingCmd(cmd=["git", "--version"]), None),
        (Note(msg="an info line"), None),
        (Note(msg="a note fired as debug"), EventLevel.DEBUG),
        (Note(msg="a warning"), EventLevel.WARN),
        (PrintEvent(msg="printed"), EventLevel.DEBUG),
        (Note(msg="a test-level note"), EventLevel.TEST),
    ]
    # dbt's own callback: a tracker for behaviour-change events (none here).
    _restored_after(monkeypatch)
    dbts = _fire(events, level, [tracker])
    monkeypatch.delenv(dbt_main.LOG_FILTER_ENV, raising=False)
    dbt_main.skip_lines_below_level()
    ours = _fire(events, level, [tracker])
    assert ours[0] == dbts[0]  # the same lines written
    assert len(dbts[1]) == len(events)  # dbt makes every event a message
    if level == EventLevel.DEBUG:  # a logger keeps debug lines: every event is made
        assert ours[1] == dbts[1]
    else:  # the three debug ones are not (the print event fired at debug still is)
        assert ours[1] == ["Note", "Note", "PrintEvent"]
    # Any other callback sees every event, as with dbt's own code.
    seen = []
    other = _fire(events, level, [tracker, seen.append])
    assert other == dbts and len(seen) == len(events)
