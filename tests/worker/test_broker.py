"""The embedded broker (worker.broker): whole messages in, unreadable ones set aside."""

import errno
import logging
import os

import pytest
from kombu import Connection
from kombu.exceptions import ChannelError
from kombu.transport import virtual

from booklibrary.settings.base import filesystem_broker_options
from worker import broker


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "broker"


@pytest.fixture
def connection(folder, monkeypatch):
    # Kombu keeps exchange state per process; each test has a folder of its own.
    monkeypatch.setattr(broker.Transport, "global_state", virtual.BrokerState())
    with Connection(
        "filesystem://",
        transport="worker.broker:Transport",
        transport_options=filesystem_broker_options(folder),
    ) as conn:
        yield conn


def _queued(folder):
    return sorted(os.listdir(folder / "queue"))


def test_a_message_goes_through_and_leaves_nothing_behind(connection, folder):
    queue = connection.SimpleQueue("jobs")
    queue.put({"task": "a"})
    assert [name.endswith(".jobs.msg") for name in _queued(folder)] == [True]
    message = queue.get(timeout=2)
    message.ack()
    assert message.payload == {"task": "a"}
    assert _queued(folder) == []
    assert os.listdir(folder / "claimed") == []
    queue.close()


def test_a_failed_write_leaves_no_message_file(connection, folder, monkeypatch):
    def disk_full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(broker.os, "replace", disk_full)
    queue = connection.SimpleQueue("jobs")
    with pytest.raises(ChannelError, match="No space left"):
        queue.put({"task": "a"})
    assert _queued(folder) == []
    queue.close()


@pytest.mark.parametrize(
    "content",
    [b"", b'{"body": "eyJ0YXNr', b'"just a string"', b'{"body": "x"}'],
    ids=["empty", "truncated", "not-an-object", "not-a-kombu-message"],
)
def test_an_unreadable_message_is_quarantined_and_the_next_one_still_runs(
    connection, folder, content, caplog
):
    queue = connection.SimpleQueue("jobs")
    # Sorted first: an older file than anything put below.
    (folder / "queue" / "0_broken.jobs.msg").write_bytes(content)
    queue.put({"task": "after"})
    with caplog.at_level(logging.ERROR, logger="worker.broker"):
        message = queue.get(timeout=2)
    message.ack()
    assert message.payload == {"task": "after"}
    assert (folder / "quarantine" / "0_broken.jobs.msg").read_bytes() == content
    assert "0_broken.jobs.msg is unreadable" in caplog.text
    assert _queued(folder) == []
    queue.close()


def test_a_message_being_written_is_not_read(connection, folder):
    queue = connection.SimpleQueue("jobs")
    partial = folder / "queue" / f"{broker.PARTIAL_PREFIX}0_x.jobs.msg"
    partial.write_bytes(b'{"body": "eyJ')
    with pytest.raises(queue.Empty):
        queue.get(timeout=0.2)
    assert partial.exists()
    assert os.listdir(folder / "quarantine") == []
    queue.close()
