"""Fault drills on real processes: `make run`'s supervisor, gunicorn, Celery, beat.

Each drill breaks something the way it breaks in a home server (kill -9 of the
worker's pool children or of its main process, a full broker disk, Redis
going away, Ctrl-C while a job runs) and then checks that every book added
gets its details, timing the recovery. Details come from the fake provider on
127.0.0.1, made slow for the drill's book so that the fault hits mid-job. The
sweep runs every second and re-queues a pending book after 4 s, so recovery
is quick here; the defaults are a minute and three minutes.
"""

import base64
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.urls import get_script_prefix, reverse, set_script_prefix

from tests.fake_provider import FakeProviderServer

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DUNE = "9780441172719"
FOX = "9780140328721"
HOBBIT = "9780261103344"
ORWELL = "9780451524935"
SAPIENS = "9780062316097"
CATCHER = "9780316769488"
TRICKLED = "9780547928227"
FROZEN = "9780143127550"
PASSWORD = "drill-password-9"
RECOVERY_LIMIT = 45.0  # seconds: a drill fails if its books take longer


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    out = subprocess.run(
        ["pgrep", "-P", str(pid)], capture_output=True, text=True
    ).stdout
    return [int(p) for p in out.split()]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def _path(name: str) -> str:
    """The URL path of a view as served at the root (not under a Lambda stage)."""
    prefix = get_script_prefix()  # other tests may leave Zappa's "/dev/"
    set_script_prefix("/")
    try:
        return reverse(name)
    finally:
        set_script_prefix(prefix)


def _clean_environment() -> dict[str, str]:
    """The environment of a shell at home: none of what other tests may have set."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER")
    return {name: os.environ[name] for name in keep if name in os.environ}


class Library:
    """`scripts/run-local` in its own data folder, and a reader using it over HTTP."""

    def __init__(self, data_dir: Path, provider: FakeProviderServer, **env: str):
        self.data_dir = data_dir
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **_clean_environment(),
            "DJANGO_SETTINGS_MODULE": "booklibrary.settings.local",
            "DATA_DIR": str(data_dir),
            "PORT": str(self.port),
            "VENV": str(BIN.parent),
            "CELERY_BROKER_URL": "filesystem://",
            "OPENLIBRARY_URL": provider.url,
            "OPENLIBRARY_COVERS_URL": provider.url,
            "GOOGLE_BOOKS_URL": provider.url,
            "METADATA_SWEEP_AFTER_SECONDS": "4",
            "METADATA_SWEEP_INTERVAL_SECONDS": "1",
            "METADATA_RETRY_BASE_SECONDS": "1",
            "WEB_WORKERS": "1",
            "JOB_SOFT_TIME_LIMIT": "6",
            "JOB_TIME_LIMIT": "8",
            # A heartbeat that stops is noticed within the drills' run.
            "WORKER_STALE_AFTER": "10",
            "WORKER_HEARTBEAT_SECONDS": "1",
            "WORKER_LOG_LEVEL": "info",
            **env,
        }
        self.log_path = data_dir / "run.log"
        self.process: subprocess.Popen | None = None
        self.session = requests.Session()

    def prepare(self, static_from: Path | None) -> None:
        """Migrate, share the collected static files, make the reader."""
        self.manage("migrate", "--noinput")
        if static_from is not None:
            (self.data_dir / "staticfiles").symlink_to(static_from)
        self.manage(
            "shell",
            "-c",
            "from accounts.models import User; "
            f"User.objects.create_user(username='reader', password='{PASSWORD}')",
        )

    def manage(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [str(ROOT / "scripts" / "run-local")],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_for(lambda: self._health() and self.worker_children(), 60, "start")
        if not self.session.cookies.get("sessionid"):
            self.log_in()

    def _health(self) -> bool:
        try:
            return requests.get(self.base + "/health", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> float:
        """Ctrl-C the supervisor; return how long until every process was gone."""
        assert self.process is not None
        pids = self.all_pids()
        started = time.monotonic()
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=30)
        while any(_alive(pid) for pid in pids) and time.monotonic() - started < 30:
            time.sleep(0.05)
        self.process = None
        return time.monotonic() - started

    def kill(self) -> None:
        if self.process is not None:
            for pid in self.all_pids():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    # Processes ---------------------------------------------------------------

    def services(self) -> dict[str, int]:
        found = {}
        for pid in _children(self.process.pid):
            line = _cmdline(pid)
            for name in ("gunicorn", " worker ", " beat "):
                if name in line:
                    found[name.strip()] = pid
        return found

    def worker_main(self) -> int | None:
        return self.services().get("worker")

    def worker_children(self) -> list[int]:
        main = self.worker_main()
        return _children(main) if main else []

    def all_pids(self) -> list[int]:
        pids = [self.process.pid]
        queue = list(pids)
        while queue:
            kids = _children(queue.pop())
            pids += kids
            queue += kids
        return pids

    # The reader -------------------------------------------------------------

    def log_in(self) -> None:
        url = self.base + _path("accounts:login")
        page = self.session.get(url, timeout=10)
        assert "csrftoken" in self.session.cookies, (page.status_code, page.text[:3000])
        answer = self.session.post(
            url,
            data={
                "username": "reader",
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.session.cookies["csrftoken"],
            },
            timeout=10,
        )
        assert self.session.cookies.get("sessionid"), answer.text[-2000:]

    def add(self, isbn: str) -> requests.Response:
        """Add a book through the add form, as a reader does; return the answer."""
        url = self.base + _path("catalog:book-add")
        self.session.get(url, timeout=10)
        return self.session.post(
            url,
            data={
                "mode": "isbn",
                "isbn-isbn": isbn,
                "isbn-status": "want",
                "csrfmiddlewaretoken": self.session.cookies["csrftoken"],
            },
            allow_redirects=False,
            timeout=30,
        )

    def status(self, key: str) -> str | None:
        with sqlite3.connect(self.data_dir / "db.sqlite3", timeout=10) as db:
            row = db.execute(
                "SELECT metadata_status FROM catalog_book WHERE key = ?", (key,)
            ).fetchone()
        return row[0] if row else None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, condition, timeout: float, what: str) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if condition():
                return time.monotonic() - started
            time.sleep(0.2)
        pytest.fail(f"Timed out waiting for {what}; log:\n{self.log()[-5000:]}")

    def wait_running(self, isbn: str) -> None:
        """Wait until a pool child is running the job for ``isbn``."""
        pattern = re.compile(rf"Running worker\.tasks\.fetch_metadata\(\['{isbn}'\]")
        self.wait_for(lambda: pattern.search(self.log()), 20, f"{isbn}'s job")

    def wait_complete(self, *keys: str) -> float:
        return self.wait_for(
            lambda: all(self.status(k) == "complete" for k in keys),
            RECOVERY_LIMIT,
            f"{keys} to complete",
        )


@pytest.fixture(scope="module")
def provider():
    with FakeProviderServer() as server:
        server.delay = 1.5
        for isbn in (HOBBIT, ORWELL, SAPIENS, CATCHER, TRICKLED, FROZEN):
            server.add_book(isbn13=isbn, title=f"Drill book {isbn}", cover=False)
        yield server


@pytest.fixture(scope="module")
def static_files(tmp_path_factory, provider):
    """Collected once for every drill (gunicorn serves them through whitenoise)."""
    data = tmp_path_factory.mktemp("static-data")
    env = {
        **_clean_environment(),
        "DJANGO_SETTINGS_MODULE": "booklibrary.settings.local",
        "DATA_DIR": str(data),
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return data / "staticfiles"


def _can_mount_tmpfs(path: Path) -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    probe = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(path)],
        capture_output=True,
    )
    if probe.returncode != 0:
        return False
    subprocess.run(["umount", str(path)], check=True)
    return True


@pytest.fixture(scope="module")
def library(tmp_path_factory, provider, static_files):
    """One library for the filesystem-broker drills, its broker on a 1 MB tmpfs."""
    data = tmp_path_factory.mktemp("library")
    broker = data / "broker"
    broker.mkdir()
    mounted = _can_mount_tmpfs(broker)
    if mounted:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(broker)], check=True
        )
    lib = Library(data, provider)
    lib.broker_on_tmpfs = mounted
    try:
        lib.prepare(static_files)
        lib.start()
        yield lib
    finally:
        lib.kill()
        if mounted:
            subprocess.run(["umount", "-l", str(broker)], check=False)


@pytest.fixture
def slow(provider):
    def _slow(*isbns):
        provider.slow_isbns.update(isbns)

    yield _slow
    provider.slow_isbns.clear()


def test_kill_9_of_the_pool_children_mid_job_loses_nothing(library, slow):
    slow(DUNE)
    assert library.add(DUNE).status_code == 302
    library.wait_running(DUNE)
    main, children = library.worker_main(), library.worker_children()
    for pid in children:  # the busy child and the idle one
        os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    assert library.add(FOX).status_code == 302  # a later add is received too
    library.wait_complete(DUNE, FOX)
    recovered = time.monotonic() - killed
    assert library.worker_main() == main  # Celery's own pool replaced them
    assert set(library.worker_children()).isdisjoint(children)
    assert "is wedged" not in library.log()  # the heartbeat kept coming
    heartbeat = library.data_dir / "worker.heartbeat"
    assert time.time() - heartbeat.stat().st_mtime < 5  # its event loop runs
    print(f"\nDRILL pool children kill -9: 2 jobs recovered in {recovered:.1f} s")


def test_kill_9_of_the_worker_main_process_mid_job_loses_nothing(library, slow):
    slow(HOBBIT)
    assert library.add(HOBBIT).status_code == 302
    library.wait_running(HOBBIT)
    main = library.worker_main()
    os.kill(main, signal.SIGKILL)
    killed = time.monotonic()
    assert library._health()  # the site keeps serving
    assert library.add(ORWELL).status_code == 302
    library.wait_complete(HOBBIT, ORWELL)
    recovered = time.monotonic() - killed
    assert library.worker_main() not in (None, main)  # the supervisor restarted it
    assert "worker exited with -9; restarting" in library.log()
    print(f"\nDRILL worker main kill -9: 2 jobs recovered in {recovered:.1f} s")


def test_a_full_broker_disk_never_fails_an_add_and_work_resumes_with_space(library):
    if not library.broker_on_tmpfs:
        pytest.skip("cannot mount a tmpfs here (needs root and mount rights)")
    queue = library.data_dir / "broker" / "queue"
    main = library.worker_main()
    filler = library.data_dir / "broker" / "filler"
    with filler.open("wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == 28  # ENOSPC: the disk is really full
    # What kombu's own transport used to leave behind on a full disk.
    (queue / "0_empty.celery.msg").write_bytes(b"")
    answer = library.add(SAPIENS)
    assert answer.status_code == 302
    assert library.status(SAPIENS) == "pending"
    library.wait_for(
        lambda: "No space left on device" in library.log(), 10, "the logged error"
    )
    library.wait_for(
        lambda: (
            library.data_dir / "broker" / "quarantine" / "0_empty.celery.msg"
        ).exists(),
        10,
        "the empty message to be quarantined",
    )
    assert library.worker_main() == main and library._health()
    assert library.status(SAPIENS) == "pending"
    filler.unlink()
    freed = time.monotonic()
    library.wait_complete(SAPIENS)
    recovered = time.monotonic() - freed
    assert library.worker_main() == main
    print(f"\nDRILL full broker disk: 1 job recovered {recovered:.1f} s after space")


def test_a_job_past_its_time_limit_is_stopped_and_the_book_completes_later(
    library, slow, provider
):
    provider.delay = 60.0  # a provider trickling its answer
    slow(TRICKLED)
    assert library.add(TRICKLED).status_code == 302
    library.wait_running(TRICKLED)
    running = time.monotonic()
    library.wait_for(
        lambda: "SoftTimeLimitExceeded" in library.log(), 15, "the soft time limit"
    )
    stopped = time.monotonic() - running
    assert library.status(TRICKLED) == "pending"
    provider.delay = 1.5
    provider.slow_isbns.clear()
    library.wait_complete(TRICKLED)
    recovered = time.monotonic() - running
    print(
        f"\nDRILL trickled answer: job stopped after {stopped:.1f} s (soft limit 6 s); "
        f"the book completed {recovered:.1f} s after the job started"
    )


def test_a_wedged_worker_is_restarted_and_the_work_it_held_completes(library):
    main = library.worker_main()
    os.kill(main, signal.SIGSTOP)  # alive, but its event loop is stuck
    frozen = time.monotonic()
    assert library.add(FROZEN).status_code == 302
    library.wait_complete(FROZEN)
    recovered = time.monotonic() - frozen
    assert "worker is wedged (no heartbeat); restarting" in library.log()
    assert library.worker_main() not in (None, main)
    assert not _alive(main)
    print(f"\nDRILL wedged worker (SIGSTOP): 1 job recovered in {recovered:.1f} s")


def test_ctrl_c_mid_job_stops_everything_within_10_s_and_the_job_completes(
    library, slow, provider
):
    provider.delay = 60.0  # a job that would hold a warm shutdown for a minute
    book = CATCHER
    slow(book)
    assert library.add(book).status_code == 302
    library.wait_running(book)
    took = library.stop()
    assert took < 10, library.log()[-3000:]
    # Celery's cold shutdown gave the job's message back to the queue.
    queue = library.data_dir / "broker" / "queue"
    bodies = [
        base64.b64decode(json.loads(path.read_bytes())["body"])
        for path in queue.glob("*.msg")
    ]
    assert any(book.encode() in body for body in bodies)
    provider.delay = 1.5
    provider.slow_isbns.clear()
    assert library.status(book) == "pending"
    library.start()
    restarted = time.monotonic()
    library.wait_complete(book)
    recovered = time.monotonic() - restarted
    print(
        f"\nDRILL Ctrl-C mid-job: stopped in {took:.1f} s; "
        f"the job completed {recovered:.1f} s after the restart"
    )


@pytest.fixture
def redis_server(tmp_path):
    binary = shutil.which("redis-server")
    if not binary:
        pytest.skip("redis-server is not installed")
    port = _free_port()

    def start():
        return subprocess.Popen(
            [binary, "--port", str(port), "--save", "", "--appendonly", "no"],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
        )

    server = {"process": start(), "port": port, "start": start}
    yield server
    server["process"].kill()
    server["process"].wait()


def test_redis_stopped_mid_run_then_restarted_loses_nothing(
    tmp_path, provider, static_files, redis_server, slow
):
    port = redis_server["port"]
    lib = Library(tmp_path, provider, CELERY_BROKER_URL=f"redis://127.0.0.1:{port}/0")
    lib.prepare(static_files)
    try:
        lib.start()
        slow(DUNE)
        assert lib.add(DUNE).status_code == 302
        lib.wait_running(DUNE)
        redis_server["process"].kill()  # the broker vanishes, queue and all
        redis_server["process"].wait()
        stopped = time.monotonic()
        answer = lib.add(FOX)
        add_seconds = time.monotonic() - stopped
        assert answer.status_code == 302
        assert lib.status(FOX) == "pending"
        assert lib._health()
        redis_server["process"] = redis_server["start"]()
        back = time.monotonic()
        lib.wait_complete(DUNE, FOX)
        recovered = time.monotonic() - back
        assert "is wedged" not in lib.log()
        print(
            f"\nDRILL Redis down: the add answered in {add_seconds:.1f} s; "
            f"2 jobs recovered {recovered:.1f} s after Redis came back"
        )
    finally:
        lib.kill()
