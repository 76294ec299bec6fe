"""structlog set-up: readable lines on stderr for people, JSON lines for machines."""

from __future__ import annotations

import logging
import sys

import structlog

__all__ = ["configure_logging"]


class _StderrLogger:
    """Writes each rendered event to whatever ``sys.stderr`` is at that moment.

    structlog's PrintLogger keeps the stream it was given; when seedctl runs inside
    another program (tests, notebooks) that later swaps or closes stderr, that stream
    is gone and the next event would fail on a closed file.
    """

    def msg(self, message: str) -> None:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()

    log = debug = info = warning = error = critical = exception = fatal = msg


def _stderr_logger(*_args: object) -> _StderrLogger:
    return _StderrLogger()


def configure_logging(log_format: str, level: str) -> None:
    """Route structlog events to stderr at ``level``, rendered as ``log_format``."""
    renderer: structlog.typing.Processor
    if log_format == "json":
        renderer = structlog.processors.JSONRenderer(sort_keys=True)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
