"""A GET never writes: every page of the app, read in both modes, stores nothing.

The walk covers every URL pattern (a new one without values to fill in fails
the test), logged in with a book, anonymous, and the admin as a superuser.
Writes are watched where they land: SQL on the app's tables (the ORM), write
calls on the tables (DynamoDB, except session items), and jobs enqueued.
"""

import io
from pathlib import Path

import pytest
from django.contrib.admin import site as admin_site
from django.contrib.admin.utils import quote
from django.contrib.auth.tokens import default_token_generator
from django.db import connection
from django.tasks import task_backends
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from booklibrary import dynamodb
from catalog import services
from catalog.models import MetadataStatus
from tests.factories import BookFactory, UserBookFactory, UserFactory, isbn13_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fake_provider"),
]
APP_TABLES = ('"accounts_', '"catalog_')
SQL_WRITES = ("insert", "update", "delete", "replace")
DYNAMO_WRITES = {
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "TransactWriteItems",
    "BatchWriteItem",
}
UNKNOWN_ISBN = isbn13_for(424242)

# What each URL's query string adds to a plain visit (searches, filters, ...).
QUERIES = {
    "catalog:book-list": [
        "",
        "?q=book&status=read&sort=title",
        "?cursor=bogus",
        "?loan=out",
        "?tag=classic&tag=Été",
        "?location=Study%20shelf&status=want",
    ],
    "catalog:book-cards": ["?keys={key},{failed}"],
    "catalog:book-lookup": ["?isbn={key}", "?isbn={failed}", f"?isbn={UNKNOWN_ISBN}"],
    "catalog:book-add": ["", f"?isbn={UNKNOWN_ISBN}", "?mode=manual"],
    "catalog:add-search": ["?q=dune"],
    "catalog:add-scanner": ["?status=read"],
    "catalog:tag-delete": ["", "?tag=classic"],
    "catalog:add-found": ["?isbns={key},{failed}", f"?isbns={UNKNOWN_ISBN}"],
}


class WriteWatch:
    """Collects every write to the app's data while it is on."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def sql(self, execute, sql, params, many, context):
        lowered = sql.lstrip().lower()
        if lowered.startswith(SQL_WRITES) and any(t in lowered for t in APP_TABLES):
            self.writes.append(sql)
        return execute(sql, params, many, context)

    def dynamo(self, model, params, **kwargs) -> None:
        if model.name not in DYNAMO_WRITES:
            return
        key = params.get("Key") or params.get("Item") or {}
        if str(key.get("pk", {}).get("S", "")).startswith("SESSION#"):
            return  # a session is not the app's data (and may change on a GET)
        self.writes.append(f"{model.name} {params.get('TableName')} {key}")


@pytest.fixture
def watch(both_modes, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    watcher = WriteWatch()
    if both_modes == "dynamodb":
        dynamodb.client().meta.events.register(
            "before-parameter-build.dynamodb.*", watcher.dynamo
        )
    with connection.execute_wrapper(watcher.sql):
        yield watcher
    if both_modes == "dynamodb":
        dynamodb.client().meta.events.unregister(
            "before-parameter-build.dynamodb.*", watcher.dynamo
        )


@pytest.fixture
def library(both_modes, settings):
    """A reader with a complete book and one whose details failed, and a cover."""
    user = UserFactory(is_staff=True, is_superuser=True)
    record = UserBookFactory(user=user)
    failed = UserBookFactory(
        user=user,
        book=BookFactory(title="", metadata_status=MetadataStatus.FAILED),
    )
    # A copy out on loan and one come back: the book and loans pages show both.
    lent = UserBookFactory(user=user)
    services.loan_lend(user=user, book_key=lent.book_id, person="Ann")
    services.loan_lend(user=user, book_key=record.book_id, person="Bob")
    services.loan_return(user=user, book_key=record.book_id)
    # Read once and being read again: the book page lists both readings.
    services.userbooks_set_status(user=user, book_keys=[record.book_id], status="read")
    services.userbook_read_again(user=user, book_key=record.book_id)
    # An import run with a failed row: its page, status and failed rows.
    job = services.import_start(
        user=user,
        uploaded_file=io.BytesIO(b"9780441172719\n9780441172718\n"),
        file_name="isbns.txt",
    )
    services.import_run(user_id=user.pk, import_id=job.pk)
    cover = Path(settings.MEDIA_ROOT) / "covers" / "a.jpg"
    cover.parent.mkdir(parents=True, exist_ok=True)
    cover.write_bytes(b"\xff\xd8\xff")
    return {
        "user": user,
        "record": record,
        "failed": failed,
        "values": {
            "key": record.book_id,
            "failed": failed.book_id,
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
            "path": "covers/a.jpg",
            "reading_id": 1,
            "import_id": job.pk,
        },
    }


def _patterns(patterns=None, namespace=""):
    """(URL name, its parameter names) of every pattern outside the admin."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = f"{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", sorted(entry.pattern.regex.groupindex)


def _app_urls(values: dict[str, str]) -> list[str]:
    urls = []
    for name, params in _patterns():
        base = reverse(name, kwargs={p: values[p] for p in params})
        urls += [base + query.format(**values) for query in QUERIES.get(name, [""])]
    return urls


def _admin_urls(library, mode: str) -> list[str]:
    user, record = library["user"], library["record"]
    record_id = record.pk if mode == "orm" else f"{record.user_id}:{record.book_id}"
    ids = {"user": user.pk, "book": record.book_id, "userbook": record_id}
    urls = [reverse("admin:index")]
    for model in admin_site._registry:
        meta = model._meta
        prefix = f"admin:{meta.app_label}_{meta.model_name}"
        urls.append(reverse("admin:app_list", args=[meta.app_label]))
        urls.append(reverse(f"{prefix}_changelist") + "?q=book&o=-1")
        urls.append(reverse(f"{prefix}_add"))
        object_id = quote(ids.get(meta.model_name, 1))
        for view in ("change", "history", "delete"):
            urls.append(reverse(f"{prefix}_{view}", args=[object_id]))
    urls.append(reverse("admin:auth_user_password_change", args=[user.pk]))
    return urls


def _visit_all(client, urls: list[str], watch: WriteWatch) -> None:
    for url in urls:
        response = client.get(url, follow=True)
        assert response.status_code in (200, 400, 403, 404, 405), (url, response)
        assert watch.writes == [], (url, watch.writes)
    assert task_backends["default"].results == []


def test_every_url_has_values_to_visit_it():
    names = {name for name, _ in _patterns()}
    assert {"catalog:book-lookup", "catalog:book-detail", "accounts:profile"} <= names
    missing = {p for _, params in _patterns() for p in params} - {
        "key",
        "uidb64",
        "token",
        "path",
        "reading_id",
        "import_id",
    }
    assert missing == set()


def test_no_page_writes_when_read_by_its_reader(client, library, watch):
    client.force_login(library["user"])
    watch.writes.clear()
    _visit_all(client, _app_urls(library["values"]), watch)


def test_no_page_writes_when_read_anonymously(client, library, watch):
    watch.writes.clear()
    _visit_all(client, _app_urls(library["values"]), watch)


def test_no_admin_page_writes(client, library, watch, both_modes):
    client.force_login(library["user"])
    watch.writes.clear()
    _visit_all(client, _admin_urls(library, both_modes), watch)


def test_the_watch_sees_a_write(client, library, watch):
    client.force_login(library["user"])
    watch.writes.clear()
    client.post(reverse("catalog:book-lookup"), {"isbn": UNKNOWN_ISBN})
    assert watch.writes and task_backends["default"].results
    assert User.objects.get_by_id(library["user"].pk)
