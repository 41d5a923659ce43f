"""A reader's own photos (media under private/<user id>/) are theirs alone.

Locally the media view serves them to their owner and to administrators, and
answers everyone else as if the file did not exist; fetched covers stay public.
On AWS media sits in a private bucket and is reached only by signed URLs.
"""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]
JPEG = b"\xff\xd8\xff\xe0 not really a jpeg \xff\xd9"


@pytest.fixture
def owner():
    return UserFactory()


@pytest.fixture
def photo(owner):
    path = f"private/{owner.pk}/covers/9780441172719.jpg"
    target = settings.MEDIA_ROOT / path
    target.parent.mkdir(parents=True)
    target.write_bytes(JPEG)
    return path


def _url(path: str) -> str:
    return reverse("media", kwargs={"path": path})


def test_the_owner_gets_their_photo_not_cached_by_shared_caches(client, owner, photo):
    client.force_login(owner)
    response = client.get(_url(photo))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == JPEG
    assert "private" in response["Cache-Control"]
    assert client.head(_url(photo)).status_code == 200


def test_an_administrator_gets_it_too(client, photo):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(_url(photo)).status_code == 200


def test_anonymous_visitors_and_other_readers_get_404(client, photo):
    assert client.get(_url(photo)).status_code == 404
    client.force_login(UserFactory())
    assert client.get(_url(photo)).status_code == 404
    assert client.head(_url(photo)).status_code == 404


@pytest.mark.parametrize(
    "disguise",
    ["covers/../{photo}", "./{photo}", "covers/./../{photo}", "/{photo}"],
)
def test_a_disguised_path_is_still_private(client, photo, disguise):
    client.force_login(UserFactory())
    response = client.get("/" + settings.MEDIA_URL + disguise.format(photo=photo))
    assert response.status_code == 404


def test_a_missing_private_file_and_a_forbidden_one_look_alike(client, owner, photo):
    client.force_login(UserFactory())
    forbidden = client.get(_url(photo))
    missing = client.get(_url(f"private/{owner.pk}/covers/nothing.jpg"))
    assert forbidden.status_code == missing.status_code == 404


def test_fetched_covers_stay_public(client):
    cover = settings.MEDIA_ROOT / "covers" / "9780441172719.jpg"
    cover.parent.mkdir(parents=True)
    cover.write_bytes(JPEG)
    assert client.get(_url("covers/9780441172719.jpg")).status_code == 200
