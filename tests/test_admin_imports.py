"""Imports in the Django admin: listed, filtered, shown read only; both backends."""

import re
from html import unescape

import pytest
from django.contrib.admin.utils import quote
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from catalog import services
from catalog.models import ImportJob
from tests.factories import UserFactory
from tests.imports.helpers import fixture_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]
PASSWORD = "an admin's long passphrase 1"


@pytest.fixture
def admin_client(client):
    admin = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    client.force_login(admin)
    return client


def _import(user, name: str, run: bool = True) -> ImportJob:
    upload = SimpleUploadedFile(name, fixture_bytes(name))
    job = services.import_start(user=user, uploaded_file=upload, file_name=name)
    if run:
        return services.import_run(user_id=user.pk, import_id=job.pk)
    return job


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", unescape(response.content.decode()))


def _admin_id(job: ImportJob, both_modes: str) -> str:
    return quote(job.pk if both_modes == "orm" else f"{job.user_id}:{job.pk}")


def test_imports_are_listed_filtered_and_searched(admin_client):
    ann, bob = UserFactory(username="ann"), UserFactory(username="bob")
    _import(ann, "storygraph.csv")
    _import(bob, "goodreads_resaved.csv", run=False)
    url = reverse("admin:catalog_importjob_changelist")
    page = _text(admin_client.get(url))
    assert "storygraph.csv" in page and "goodreads_resaved.csv" in page
    for column in ("User", "Format", "State", "Warned", "Created at"):
        assert column.casefold() in page.casefold()
    assert "2 import jobs" in page
    page = _text(admin_client.get(url, {"state__exact": "done"}))
    assert "storygraph.csv" in page and "goodreads_resaved.csv" not in page
    page = _text(admin_client.get(url, {"format": "goodreads"}))
    assert "goodreads_resaved.csv" in page and "storygraph.csv" not in page
    page = _text(admin_client.get(url, {"q": "ann"}))
    assert "storygraph.csv" in page and "goodreads_resaved.csv" not in page
    # Read only: nothing to add.
    assert reverse("admin:catalog_importjob_add") not in page


def test_an_import_is_shown_with_its_errors_and_warnings(admin_client, both_modes):
    reader = UserFactory(username="cat")
    job = _import(reader, "goodreads_resaved.csv")
    warned = _import(reader, "storygraph.csv")
    url = reverse("admin:catalog_importjob_change", args=[_admin_id(job, both_modes)])
    page = _text(admin_client.get(url))
    assert "goodreads_resaved.csv" in page and "cat" in page
    assert "Line 6: ISBN written by a spreadsheet" in page
    assert "Line 5: unreadable date" in page
    assert '<input type="submit"' not in page  # nothing to save
    shown = _text(
        admin_client.get(
            reverse(
                "admin:catalog_importjob_change",
                args=[_admin_id(warned, both_modes)],
            )
        )
    )
    assert "Line 5: B07HKKPR5H in ISBN/UID is an Amazon ASIN" in shown
    assert "Lines 2 to 3: rating 3.75 in Star Rating rounded to 4.0" in shown

    # Nothing is written from here.
    before = ImportJob.objects.get_for_user(reader.pk, job.pk)
    refused = admin_client.post(url, {"state": "queued", "file_name": "x"})
    assert refused.status_code == 403
    delete = reverse(
        "admin:catalog_importjob_delete", args=[_admin_id(job, both_modes)]
    )
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    after = ImportJob.objects.get_for_user(reader.pk, job.pk)
    assert (after.version, after.state, after.file_name) == (
        before.version,
        "done",
        "goodreads_resaved.csv",
    )


def test_an_unknown_import_redirects_with_a_message(admin_client, both_modes):
    missing = "1:nothing" if both_modes != "orm" else "nothing"
    url = reverse("admin:catalog_importjob_change", args=[quote(missing)])
    response = admin_client.get(url, follow=True)
    assert "doesn’t exist" in response.content.decode()
