"""Importing in a real browser: upload, watch it finish, fetch the failed rows."""

import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from catalog import services
from catalog.imports import open_import
from catalog.models import ImportJob, UserBook
from tests.factories import UserFactory
from tests.imports.helpers import FIXTURES

PASSWORD = "browser passphrase 1"


@pytest.fixture
def reader(page, settings):
    # The upload only queues the import: the test runs the worker's part.
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    user = UserFactory(password=PASSWORD)
    page.goto("/login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your library")).to_be_visible()
    return user


def test_upload_a_goodreads_export_watch_it_finish_and_fetch_the_failed_rows(
    page, reader, tmp_path: Path
):
    page.goto("/books/add/")
    page.get_by_role("link", name="Import a file").click()
    expect(page.get_by_role("heading", name="Import your books")).to_be_visible()
    page.get_by_label("File to import").set_input_files(
        str(FIXTURES / "goodreads_resaved.csv")
    )
    page.get_by_label("Format").select_option("goodreads")
    page.get_by_role("button", name="Import the file").click()
    expect(page.get_by_text("is being imported")).to_be_visible()
    bar = page.get_by_role("progressbar")
    expect(bar).to_have_attribute("aria-valuenow", "0")
    expect(page.locator("#import-summary")).to_have_text(
        "Waiting for its turn to start."
    )

    # The worker runs the job queued by the upload; the page polls and sees it end.
    (job,) = ImportJob.objects.for_user(reader)
    assert job.state == "queued" and job.next_index == 0
    services.import_run(user_id=reader.pk, import_id=job.pk)
    expect(page.locator("#import-summary")).to_contain_text(
        "Done: 2 imported", timeout=20_000
    )
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#count-failed")).to_have_text("2")
    errors = page.locator("#import-errors li")
    expect(errors).to_have_count(2)
    expect(errors.first).to_contain_text("Line 5: unreadable date")
    expect(errors.last).to_contain_text("Line 6: ISBN written by a spreadsheet")
    assert UserBook.objects.get_for_user(reader, "9780441172719").status == "read"

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the failed rows").click()
    saved = tmp_path / "failed.csv"
    download.value.save_as(saved)
    failed = open_import(io.BytesIO(saved.read_bytes()))
    assert failed.format.key == "goodreads"
    assert failed.count() == 2

    # The reader can leave and come back: the import is listed with its result.
    page.goto("/import/")
    expect(page.locator("#import-list")).to_contain_text("2 imported, 2 failed")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.csv", b"", "The submitted file is empty."),
        ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 4, "This is an image"),
    ],
    ids=["empty", "binary"],
)
def test_a_refused_upload_puts_the_focus_on_the_file_to_fix(
    page, reader, tmp_path: Path, name, data, message
):
    upload = tmp_path / name
    upload.write_bytes(data)
    page.goto("/import/")
    page.get_by_label("File to import").set_input_files(str(upload))
    page.get_by_role("button", name="Import the file").click()
    expect(page.locator("#form-error-list")).to_contain_text(message)
    field = page.get_by_label("File to import")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-invalid", "true")
    assert ImportJob.objects.for_user(reader) == []
