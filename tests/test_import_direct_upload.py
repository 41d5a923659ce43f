"""On AWS an import file goes from the browser straight to S3 (moto here)."""

import base64
import json
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from django.core.files.storage import default_storage
from django.urls import reverse

from catalog import services
from catalog.models import ImportJob, UserBook
from tests.factories import UserFactory
from tests.imports.helpers import fixture_bytes
from tests.test_storage_s3 import BUCKET, s3_media  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def direct(s3_media, dynamo_mode, settings, client):  # noqa: F811
    settings.IMPORT_DIRECT_UPLOAD = True
    user = UserFactory()
    client.force_login(user)
    return user


def _form(client):
    response = client.get(reverse("catalog:imports"))
    assert response.status_code == 200
    return response, response.context["direct"]


def test_the_page_gives_a_presigned_post_bound_to_the_readers_folder(client, direct):
    response, post = _form(client)
    policy = json.loads(base64.b64decode(post.fields["policy"]))
    conditions = policy["conditions"]
    prefix = f"media/private/{direct.pk}/uploads/"
    starts = [c for c in conditions if isinstance(c, list) and c[0] == "starts-with"]
    assert starts and all(c[1] == "$key" for c in starts)
    assert all(c[2].startswith(prefix) and len(c[2]) > len(prefix) for c in starts)
    assert ["content-length-range", 1, 50 * 1024 * 1024] in conditions
    back = "http://testserver" + reverse("catalog:import-arrived")
    assert {"success_action_redirect": back} in conditions
    assert post.fields["key"].endswith("/${filename}")
    page = response.content.decode()
    assert f'action="{post.url}"' in page
    # S3 refuses fields its policy does not name: no CSRF token in that form.
    form = page[page.index('id="import-form"') : page.index("</form>")]
    assert "csrfmiddlewaretoken" not in form
    assert post.origin in response["Content-Security-Policy"]
    assert "form-action 'self' " + post.origin in response["Content-Security-Policy"]


def _upload(post, name: str, data: bytes) -> dict[str, str]:
    """What the browser does: post the file to S3 (moto), which sends it back."""
    answer = requests.post(
        post.url,
        data=post.fields,
        files={"file": (name, data)},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303, answer.text
    back = urlsplit(answer.headers["Location"])
    assert back.path == reverse("catalog:import-arrived")
    return dict(parse_qsl(back.query))


def test_an_upload_that_arrived_is_imported_after_a_post(client, direct, s3_media):  # noqa: F811
    _, post = _form(client)
    query = _upload(post, "goodreads_23.csv", fixture_bytes("goodreads_23.csv"))
    key = query["key"]
    assert query["bucket"] == BUCKET
    arrived = reverse("catalog:import-arrived")
    page = client.get(arrived, query)
    assert page.status_code == 200
    assert "“goodreads_23.csv” has arrived" in page.content.decode()
    assert ImportJob.objects.for_user(direct) == []  # a GET starts nothing
    response = client.post(arrived, {"key": key, "format": ""})
    assert response.status_code == 302
    (job,) = ImportJob.objects.for_user(direct)
    assert response["Location"] == reverse("catalog:import", args=[job.pk])
    assert job.stored_name == key.removeprefix("media/")
    assert (job.file_name, job.format) == ("goodreads_23.csv", "goodreads")
    done = services.import_run(user_id=direct.pk, import_id=job.pk)
    assert (done.state, done.imported) == ("done", 6)
    assert UserBook.objects.get_for_user(direct, "9780441172719").status == "read"


def test_a_bad_file_that_arrived_is_refused_and_deleted(client, direct, s3_media):  # noqa: F811
    _, post = _form(client)
    key = _upload(post, "binary.csv", fixture_bytes("binary.csv"))["key"]
    response = client.post(reverse("catalog:import-arrived"), {"key": key}, follow=True)
    assert response.status_code == 200
    assert ImportJob.objects.for_user(direct) == []
    assert not default_storage.exists(key.removeprefix("media/"))
    assert list(response.context["messages"])


def test_someone_elses_upload_is_a_404(client, direct, s3_media):  # noqa: F811
    other = UserFactory()
    key = f"media/private/{other.pk}/uploads/abc/goodreads_23.csv"
    s3_media.put_object(Bucket=BUCKET, Key=key, Body=fixture_bytes("goodreads_23.csv"))
    arrived = reverse("catalog:import-arrived")
    assert client.get(arrived, {"key": key}).status_code == 404
    assert client.post(arrived, {"key": key}).status_code == 404
    sneaky = f"media/private/{direct.pk}/uploads/../../{other.pk}/uploads/abc/x.csv"
    assert client.post(arrived, {"key": sneaky}).status_code in (302, 404)
    assert ImportJob.objects.for_user(direct) == []
