"""Every URL that names an object answers 404 to anyone but its owner."""

import io

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from catalog import services
from tests.factories import BookFactory, UserBookFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]

# Routes that take an id but are not owned objects (Django's own, by design).
NOT_OWNED = {"admin", "accounts:password-reset-confirm"}


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            full_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), full_ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield name, prefix + str(entry.pattern), entry.pattern.converters


def _object_routes():
    routes = []
    for name, route, converters in _walk(get_resolver().url_patterns):
        if not converters or name in NOT_OWNED or route.startswith("admin/"):
            continue
        routes.append((name, route, sorted(converters)))
    return routes


def test_the_walk_finds_the_object_routes():
    names = {name for name, _, _ in _object_routes()}
    assert {"catalog:book-detail", "catalog:book-remove"} <= names


@pytest.mark.parametrize(("name", "route", "params"), _object_routes())
def test_another_users_object_answers_404(client, other_user, name, route, params):
    record = UserBookFactory(
        book=BookFactory(series=[{"name": "Their Series", "position": "1"}])
    )
    if "<path:key>" in route:
        # A series page, named by the owner's series.
        url = "/" + route.replace("<path:key>", "their series")
    elif params == ["token"]:
        # An undo token: the owner's removal of their book.
        receipt = services.userbook_remove(user=record.user, book_key=record.book_id)
        url = "/" + route.replace("<str:token>", receipt.token)
    elif params == ["key", "reading_id"]:
        # One reading of the owner's book.
        record = services.userbook_read_again(user=record.user, book_key=record.book_id)
        url = "/" + route.replace("<str:key>", record.book_id).replace(
            "<int:reading_id>", str(record.reading_history[-1]["id"])
        )
    elif params == ["import_id"]:
        # The owner's import of a file.
        job = services.import_start(
            user=record.user,
            uploaded_file=io.BytesIO(b"9780441172719\n"),
            file_name="isbns.txt",
        )
        url = "/" + route.replace("<str:import_id>", job.pk)
    else:
        assert params == ["key"], f"{name} takes {params}: teach this test its owner"
        url = "/" + route.replace("<str:key>", record.book_id)
    client.force_login(other_user)
    answers = {
        method: getattr(client, method)(
            url, {"status": "read", "version": 1}
        ).status_code
        for method in ("get", "post")
    }
    # A method the view does not take is refused before any lookup (405);
    # every method it takes answers 404 to a stranger.
    assert set(answers.values()) <= {404, 405} and 404 in answers.values(), answers
