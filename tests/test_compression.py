"""What goes out compressed: public pages and static files, never a reader's pages."""

import gzip
import json

import pytest
from django.http import HttpResponse
from django.urls import reverse
from whitenoise.middleware import WhiteNoiseMiddleware

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


def _gzipped(response) -> bool:
    return response.get("Content-Encoding") == "gzip"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        reverse("catalog:home"),  # the welcome page
        reverse("accounts:password-reset-done"),
        "/no/such/page/",
    ],
)
def test_a_page_holding_nothing_of_anyones_is_gzipped(client, url):
    response = client.get(url, **GZIP)
    assert _gzipped(response)
    assert "Accept-Encoding" in response["Vary"]
    assert b"Book Library" in gzip.decompress(response.content)


@pytest.mark.django_db
def test_without_accept_encoding_the_page_goes_out_plain(client):
    response = client.get(reverse("catalog:home"))
    assert not _gzipped(response)
    assert b"Book Library" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        reverse("accounts:login"),  # a CSRF token in the form
        reverse("accounts:signup"),
        reverse("accounts:password-reset"),
    ],
)
def test_a_page_with_a_csrf_token_is_not_compressed(client, url):
    response = client.get(url, **GZIP)
    assert b"csrfmiddlewaretoken" in response.content
    assert not _gzipped(response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        reverse("catalog:home"),
        reverse("catalog:book-list") + "?q=reflected+text",
        reverse("accounts:profile"),
        "/no/such/page/",
    ],
)
@pytest.mark.usefixtures("both_modes")
def test_a_logged_in_readers_pages_are_not_compressed(user_client, user, url):
    user_client.cookies.pop("csrftoken", None)
    response = user_client.get(url, **GZIP)
    assert not _gzipped(response)


@pytest.mark.django_db
def test_a_json_answer_is_not_compressed(user_client, user):
    response = user_client.get(reverse("manifest"), **GZIP)
    assert response["Content-Type"].startswith("application/")
    assert not _gzipped(response)


def test_static_files_go_out_gzipped_and_cached_for_good(settings, rf, aws_static_root):
    settings.STATIC_ROOT = aws_static_root
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        },
    }
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    serve = WhiteNoiseMiddleware(lambda request: HttpResponse(status=404))
    hashed = json.loads((aws_static_root / "staticfiles.json").read_text())["paths"]
    for name in (
        "vendor/bootstrap/bootstrap.min.css",
        "vendor/bootstrap/bootstrap.bundle.min.js",
        "css/app.css",
        "js/theme.js",
        "js/shortcuts.js",
    ):
        response = serve(rf.get(f"/static/{hashed[name]}", **GZIP))
        assert response.status_code == 200, name
        assert _gzipped(response), name
        assert "immutable" in response["Cache-Control"], name
