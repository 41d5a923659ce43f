"""The search contract on PostgreSQL, inside the normal test run.

PostgreSQL's ``LIKE`` is not SQLite's (case, collation, escaping), so the ORM
cases of ``test_search_contract.py`` run again in a pytest of their own whose
test database is made on the PostgreSQL server of ``SEARCH_POSTGRES_URL``
(default: the local one, user postgres, trust authentication). In CI
(``CI=true``) a server that does not answer fails the test; elsewhere it skips.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.catalog import test_search_contract as contract

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = "tests/catalog/test_search_contract.py"
POSTGRES_URL = os.environ.get(
    "SEARCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)


def _unreachable() -> str | None:
    """Return why PostgreSQL does not answer, or None when it does."""
    try:
        psycopg.connect(POSTGRES_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        return str(exc).strip() or type(exc).__name__
    return None


def test_the_search_contract_passes_on_postgresql():
    problem = _unreachable()
    if problem:
        message = (
            f"PostgreSQL does not answer at {POSTGRES_URL} ({problem}); the search "
            "contract must run on it. Start it, or set SEARCH_POSTGRES_URL."
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    cases = [name for name in dir(contract.TestOrmSearch) if name.startswith("test_")]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            CONTRACT,
            "-k",
            "TestOrmSearch",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "TEST_DATABASE_URL": POSTGRES_URL,
            "SEARCH_CONTRACT_VENDOR": "postgresql",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout[-4000:] + result.stderr[-2000:]
    assert result.returncode == 0, output
    assert re.search(rf"\b{len(cases)} passed\b", result.stdout), output
    assert not re.search(r"\b(skipped|failed|error)", result.stdout), output
