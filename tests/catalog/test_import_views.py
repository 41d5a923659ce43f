"""The Import page: upload, progress, per-row results and the failed rows."""

import io
import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from catalog.imports import open_import
from catalog.models import ImportJob, UserBook
from tests.factories import UserFactory
from tests.imports.helpers import fixture_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]


def _text(response) -> str:
    return re.sub(r"\s+", " ", unescape(response.content.decode()))


def _post(client, name: str, data: bytes | None = None, format: str = ""):
    upload = SimpleUploadedFile(name, fixture_bytes(name) if data is None else data)
    return client.post(reverse("catalog:imports"), {"file": upload, "format": format})


def test_an_upload_is_imported_and_its_page_shows_the_results(
    user_client, user, django_capture_on_commit_callbacks
):
    page = _text(user_client.get(reverse("catalog:imports")))
    assert "No import yet." in page and 'enctype="multipart/form-data"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(user_client, "goodreads_resaved.csv")
    assert response.status_code == 302
    (job,) = ImportJob.objects.for_user(user)
    assert response["Location"] == reverse("catalog:import", args=[job.pk])
    page = _text(user_client.get(response["Location"]))
    assert "is being imported" in page
    assert "Done: 2 imported, 0 already in your library" in page
    assert 'aria-valuenow="100"' in page
    assert "Line 5: unreadable date" in page
    assert "Line 6: ISBN written by a spreadsheet" in page
    assert reverse("catalog:import-failed", args=[job.pk]) in page
    assert "import_progress.js" not in page  # finished: nothing to poll

    status = user_client.get(reverse("catalog:import-status", args=[job.pk])).json()
    assert status["state"] == "done" and status["finished"] is True
    assert (status["imported"], status["failed"], status["percent"]) == (2, 2, 100)

    failed = user_client.get(reverse("catalog:import-failed", args=[job.pk]))
    assert failed.status_code == 200
    assert failed["Content-Type"].startswith("text/csv")
    assert "attachment" in failed["Content-Disposition"]
    again = open_import(io.BytesIO(failed.content))
    assert again.format.key == "goodreads" and again.count() == 2

    listed = _text(user_client.get(reverse("catalog:imports")))
    assert "goodreads_resaved.csv" in listed and "2 imported, 2 failed" in listed


def test_a_truncated_rows_lines_are_named_once(
    user_client, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(user_client, "truncated_quoted.csv")
    page = _text(user_client.get(response["Location"]))
    assert (
        "Lines 4 to 5: row cut short inside a quoted field: the file ends before "
        "the field closes, as if it was truncated"
    ) in page
    assert "(lines 4 to 5)" not in page


def test_the_upload_help_names_the_zip_export(user_client):
    page = _text(user_client.get(reverse("catalog:imports")))
    assert "this app’s own export: the ZIP (with your cover photos) as it is" in page
    assert "or its JSON; up to 50 MB." in page


def test_a_running_import_shows_its_progress_and_polls(user_client, user):
    response = _post(user_client, "goodreads_23.csv")  # the job is not run
    (job,) = ImportJob.objects.for_user(user)
    page = _text(user_client.get(response["Location"]))
    assert 'aria-valuenow="0"' in page and "Waiting for its turn" in page
    assert "import_progress.js" in page and "Reload to see how far it got" in page
    status = user_client.get(reverse("catalog:import-status", args=[job.pk])).json()
    assert (status["state"], status["finished"]) == ("queued", False)
    assert UserBook.objects.count_for_user(user) in (0, None)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("empty.csv", "empty"),
        ("binary.csv", ""),
        ("missing_columns.csv", ""),
        ("goodreads_data_export.zip", ""),
    ],
)
def test_a_bad_file_is_refused_with_its_message_and_nothing_stored(
    user_client, user, name, words
):
    response = _post(user_client, name)
    assert response.status_code == 400
    page = _text(response)
    assert "One thing to fix" in page or "is-invalid" in page
    assert words in page.lower()
    assert ImportJob.objects.for_user(user) == []


def test_an_unknown_format_or_no_file_is_refused(user_client, user):
    response = _post(user_client, "goodreads_23.csv", format="nonsense")
    assert response.status_code == 400
    response = user_client.post(reverse("catalog:imports"), {"format": ""})
    assert response.status_code == 400
    assert ImportJob.objects.for_user(user) == []


def test_an_import_is_its_owners_alone(user_client, user):
    _post(user_client, "goodreads_23.csv")
    (job,) = ImportJob.objects.for_user(user)
    stranger = Client()
    stranger.force_login(UserFactory())
    for name in ("catalog:import", "catalog:import-status", "catalog:import-failed"):
        assert stranger.get(reverse(name, args=[job.pk])).status_code == 404
    assert user_client.get(reverse("catalog:import", args=["nope"])).status_code == 404
    anonymous = Client().get(reverse("catalog:import", args=[job.pk]))
    assert anonymous.status_code == 302


def test_the_upload_needs_its_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert _post(client, "goodreads_23.csv").status_code == 403
    assert ImportJob.objects.for_user(user) == []


def test_an_import_file_over_the_limit_is_refused_unread(user_client):
    from tests.test_request_limits import UnreadBody, post_declaring

    url = reverse("catalog:imports")
    body = UnreadBody()
    response = post_declaring(user_client, url, 52 * 1024 * 1024, body)
    assert response.status_code == 413 and body.reads == 0
    assert "at most 51 MB" in response.content.decode()
    # Someone logged out may not send a large body there at all.
    assert post_declaring(Client(), url, 5_000_000, body).status_code == 413
    assert body.reads == 0


def test_a_large_import_file_within_the_limit_is_taken(
    user_client, user, django_capture_on_commit_callbacks
):
    text = fixture_bytes("isbns.txt")
    padding = b"# " + b"x" * 1000 + b"\n"
    data = text + padding * (4 * 1024)  # over 4 MB: past the small body limit
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(user_client, "isbns.txt", data)
    assert response.status_code == 302
    (job,) = ImportJob.objects.for_user(user)
    assert job.state == "done" and job.imported > 0
