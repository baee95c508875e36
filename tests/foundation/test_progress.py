"""Progress for processes whose output is a log: at most one line per interval, the last report
of a step always, with the rate and the time left."""

from __future__ import annotations

import logging

import pytest

from fraudforge.foundation.progress import count_text, duration, logged


def test_count_text_and_durations() -> None:
    assert count_text(0, 10, "rows", 0.0) == "0/10 rows"
    assert count_text(5, 10, "rows", 2.0) == "5/10 rows, 2.50 rows/s, about 2 s left"
    assert count_text(300, None, "trials", 3.0, "note") == "300 trials, note, 100 trials/s"
    assert count_text(10, 10, "rows", 1.0) == "10/10 rows, 10 rows/s, done"
    assert [duration(s) for s in (0.4, 59, 125, 3_780)] == [
        "0 s",
        "59 s",
        "2 min 05 s",
        "1 h 03 min",
    ]


def test_logged_progress_logs_every_interval_and_the_end(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    log = logging.getLogger("fraudforge.test.progress")
    report = logged(log, "warm start from d", "transactions", every=5.0, clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger=log.name):
        for done in range(0, 1_000_001, 100_000):
            report("replaying", done, 1_000_000)
            now[0] += 2.0
    assert [r.getMessage() for r in caplog.records] == [
        "warm start from d: replaying 0/1,000,000 transactions, 0 s elapsed",
        "warm start from d: replaying 300,000/1,000,000 transactions, 50,000 transactions/s, "
        "about 14 s left, 6 s elapsed",
        "warm start from d: replaying 600,000/1,000,000 transactions, 50,000 transactions/s, "
        "about 8 s left, 12 s elapsed",
        "warm start from d: replaying 900,000/1,000,000 transactions, 50,000 transactions/s, "
        "about 2 s left, 18 s elapsed",
        "warm start from d: replaying 1,000,000/1,000,000 transactions, 50,000 transactions/s, "
        "done, 20 s elapsed",
    ]
