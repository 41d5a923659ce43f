"""The Export page and its downloads, in both modes, and on S3 when large."""

import csv
import io
import json
import zipfile
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog import exporting
from catalog.imports import ImportRow, open_import
from tests.factories import BookFactory, UserBookFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]
DOWNLOADS = {
    "catalog:export-json": ("json", "application/json; charset=utf-8"),
    "catalog:export-csv": ("csv", "text/csv; charset=utf-8"),
    "catalog:export-zip": ("zip", "application/zip"),
}
BUCKET = "booklibrary-media-test"


@pytest.fixture
def shelf(user):
    mine = UserBookFactory(
        user=user,
        book=BookFactory(title='=HYPERLINK("http://evil")', authors=["+Ann"]),
        notes="@me\nline two",
        tags=["-minus"],
    )
    theirs = UserBookFactory(book=BookFactory(title="Someone else's"))
    return mine, theirs


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def test_anonymous_visitors_are_sent_to_log_in(client):
    for name in ("catalog:export", *DOWNLOADS):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_the_page_offers_the_three_downloads(user_client, shelf):
    response = user_client.get(reverse("catalog:export"))
    assert response.status_code == 200
    page = response.content.decode()
    for name in DOWNLOADS:
        assert f'href="{reverse(name)}"' in page
    assert "a half star rounds up" in page
    assert response.context["count"] == 1


def test_the_page_is_linked_from_the_navbar_and_the_profile(user_client):
    page = user_client.get(reverse("accounts:profile")).content.decode()
    assert page.count(f'href="{reverse("catalog:export")}"') == 2


@pytest.mark.parametrize("name", list(DOWNLOADS))
def test_each_download_is_the_reader_s_own_named_by_the_day(user_client, shelf, name):
    kind, content_type = DOWNLOADS[name]
    response = user_client.get(reverse(name))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    day = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="booklibrary-{day}.{kind}"'
    )
    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
    body = _body(response)
    rows = list(open_import(io.BytesIO(body)).rows())
    assert [r.isbn13 for r in rows if isinstance(r, ImportRow)] == [shelf[0].book_id]
    assert b"Someone else" not in body


@pytest.mark.parametrize("name", list(DOWNLOADS))
def test_downloads_take_no_post(user_client, name):
    assert user_client.post(reverse(name)).status_code == 405


@pytest.mark.parametrize("name", list(DOWNLOADS))
def test_head_sends_the_headers_without_reading_the_library(
    user_client, shelf, name, monkeypatch
):
    def refuse(*args, **kwargs):
        raise AssertionError("HEAD read the library")

    monkeypatch.setattr(exporting, "library", refuse)
    head = user_client.head(reverse(name))
    assert head.status_code == 200 and head.content == b""
    assert head["Content-Disposition"].startswith("attachment; filename=")


def test_the_json_and_csv_stream_locally(user_client, shelf):
    for name in ("catalog:export-json", "catalog:export-csv"):
        assert user_client.get(reverse(name)).streaming


def test_the_csv_escapes_typed_text_not_our_isbn_cells(user_client, shelf):
    body = _body(user_client.get(reverse("catalog:export-csv"))).decode()
    header, row = list(csv.reader(io.StringIO(body)))
    cells = dict(zip(header, row, strict=True))
    assert cells["Title"] == '\'=HYPERLINK("http://evil")'
    assert cells["Author"] == "'+Ann"
    assert cells["Private Notes"] == "'@me\nline two"
    assert cells["Bookshelves"] == "'-minus, to-read"
    assert cells["ISBN13"] == f'="{shelf[0].book_id}"'


def test_the_zip_holds_library_json(user_client, shelf):
    body = _body(user_client.get(reverse("catalog:export-zip")))
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert archive.namelist() == ["library.json"]
    (record,) = json.loads(archive.read("library.json"))["records"]
    assert record["title"] == '=HYPERLINK("http://evil")'  # JSON keeps it exact


def test_a_small_export_is_answered_directly_where_responses_are_bounded(
    user_client, shelf, settings
):
    settings.EXPORT_TO_STORAGE = True
    response = user_client.get(reverse("catalog:export-json"))
    assert response.status_code == 200
    assert json.loads(_body(response))["records"][0]["isbn13"] == shelf[0].book_id


@pytest.mark.parametrize("name", list(DOWNLOADS))
def test_a_large_export_goes_through_the_reader_s_private_storage(
    client, user, shelf, settings, name
):
    settings.EXPORT_TO_STORAGE = True
    settings.EXPORT_INLINE_MAX_BYTES = 10
    client.force_login(user)
    response = client.get(reverse(name))
    assert response.status_code == 302
    location = response["Location"]
    kind = DOWNLOADS[name][0]
    assert f"/exports/{user.pk}/" in location
    assert location.endswith(exporting.filename(kind))
    stored = client.get(location)
    assert stored.status_code == 200
    assert shelf[0].book_id.encode() in _body(stored) or kind == "zip"
    client.force_login(UserFactory())
    assert client.get(location).status_code == 404


@pytest.fixture
def s3_media(aws_tables, settings):
    import boto3

    s3 = boto3.client("s3", region_name="us-west-2")
    s3.create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"}
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "region_name": "us-west-2",
                "signature_version": "s3v4",
                "querystring_auth": True,
                "querystring_expire": 3600,
                "default_acl": None,
                "file_overwrite": True,
                "location": "media",
            },
        },
    }
    return s3


def test_on_s3_a_large_export_is_a_short_lived_signed_url(
    user_client, user, shelf, settings, s3_media
):
    settings.EXPORT_TO_STORAGE = True
    settings.EXPORT_INLINE_MAX_BYTES = 10
    response = user_client.get(reverse("catalog:export-json"))
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    query = parse_qs(url.query)
    assert query["X-Amz-Expires"] == [str(settings.EXPORT_URL_SECONDS)]
    assert "X-Amz-Signature" in query
    key = url.path.split(f"/{BUCKET}/", 1)[-1].lstrip("/")
    assert key.startswith(f"media/exports/{user.pk}/")
    stored = s3_media.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert json.loads(stored)["records"][0]["isbn13"] == shelf[0].book_id
