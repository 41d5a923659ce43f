"""Pages every site has: error pages in the layout, icons, manifest, skip link."""

import io
import re

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import Client, RequestFactory
from django.urls import get_resolver, path, reverse
from PIL import Image

from booklibrary.urls import urlpatterns as site_urlpatterns


def _denied(request):
    raise PermissionDenied("not for you")


def _suspicious(request):
    raise SuspiciousOperation("odd request")


def _broken(request):
    raise RuntimeError("a bug")


# These tests' URLs: the site's, plus views that fail on purpose.
urlpatterns = [
    path("test-denied", _denied),
    path("test-suspicious", _suspicious),
    path("test-broken", _broken),
    *site_urlpatterns,
]

VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'


def _assert_in_layout(response):
    """The page has the app's head, navigation and a way back home."""
    body = response.content.decode()
    assert VIEWPORT in body
    assert 'aria-label="Main navigation"' in body
    assert f'href="{reverse("catalog:home")}">Go to the home page' in body
    assert "Skip to content" in body
    return body


@pytest.mark.usefixtures("both_modes")
def test_an_unknown_address_is_a_404_in_the_layout_with_a_viewport(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    body = _assert_in_layout(response)
    assert "There is no page here" in body
    assert reverse("accounts:login") in body  # the navbar for a visitor


@pytest.mark.usefixtures("both_modes")
def test_a_404_for_a_reader_keeps_their_menu_and_a_link_to_the_library(
    user_client, user
):
    response = user_client.get(reverse("catalog:book-detail", args=["9999999999999"]))
    assert response.status_code == 404
    body = _assert_in_layout(response)
    assert user.username in body
    assert f'href="{reverse("catalog:book-list")}">Browse your library' in body


@pytest.mark.usefixtures("both_modes")
def test_a_form_without_its_cookie_gets_a_403_that_says_to_allow_cookies():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:login"), {"username": "a"})
    assert response.status_code == 403
    body = _assert_in_layout(response)
    assert "That form could not be accepted" in body
    assert "Allow cookies for this site" in body


@pytest.mark.usefixtures("both_modes")
def test_an_expired_form_token_gets_a_403_that_says_how_to_send_it_again():
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("accounts:login"))  # sets the cookie
    response = client.post(
        reverse("accounts:login"), {"username": "a", "csrfmiddlewaretoken": "x" * 32}
    )
    assert response.status_code == 403
    body = _assert_in_layout(response)
    assert "Nothing was saved" in body and "reload the page" in body
    assert "Allow cookies" not in body


@pytest.mark.urls("tests.test_site_pages")
@pytest.mark.usefixtures("both_modes")
def test_a_refused_page_is_a_403_in_the_layout(user_client, user):
    response = user_client.get("/test-denied")
    assert response.status_code == 403
    body = _assert_in_layout(response)
    assert "This page is not yours to see" in body and user.username in body
    assert "not for you" not in body


@pytest.mark.urls("tests.test_site_pages")
@pytest.mark.django_db
def test_a_bad_request_is_a_400_in_the_layout_without_the_account_menu(user_client):
    response = user_client.get("/test-suspicious")
    assert response.status_code == 400
    body = _assert_in_layout(response)
    assert "That request could not be understood" in body
    assert "Log out" not in body and "odd request" not in body


@pytest.mark.urls("tests.test_site_pages")
@pytest.mark.django_db
def test_an_error_in_a_view_is_a_500_in_the_layout(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    response = client.get("/test-broken")
    assert response.status_code == 500
    body = _assert_in_layout(response)
    assert "Something went wrong on our side" in body
    assert "a bug" not in body and "Log out" not in body


def test_the_500_handler_needs_neither_the_database_nor_a_user():
    # No database fixture: any query would fail this test.
    request = RequestFactory().get("/")
    assert not hasattr(request, "user")
    response = get_resolver().resolve_error_handler(500)(request)
    assert response.status_code == 500
    body = _assert_in_layout(response)
    assert 'href="/static/css/app.css"' in body
    assert "Log in" not in body  # no guess at who is asking


def _static_content(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert "max-age=86400" in response["Cache-Control"]
    icon = _static_content(client, response["Location"])
    assert icon.startswith(b"\x00\x00\x01\x00")  # an ICO file
    assert Image.open(io.BytesIO(icon)).format == "ICO"


@pytest.mark.django_db
def test_the_manifest_names_the_app_and_its_icons_exist_at_their_sizes(client):
    home = client.get(reverse("catalog:home")).content.decode()
    assert f'<link rel="manifest" href="{reverse("manifest")}">' in home
    assert reverse("manifest") == "/manifest.webmanifest"
    response = client.get(reverse("manifest"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["name"] == "Book Library"
    assert manifest["start_url"] == reverse("catalog:home")
    assert manifest["display"] == "standalone"
    sizes = set()
    for icon in manifest["icons"]:
        image = Image.open(io.BytesIO(_static_content(client, icon["src"])))
        assert image.format == "PNG" and icon["type"] == "image/png"
        assert f"{image.width}x{image.height}" == icon["sizes"]
        sizes.add(icon["sizes"])
    assert sizes == {"192x192", "512x512"}


@pytest.mark.django_db
def test_the_content_security_policy_lets_the_manifest_load(client):
    policy = client.get(reverse("catalog:home"))["Content-Security-Policy"]
    assert "manifest-src 'self'" in policy


FOCUSABLE = re.compile(r"<(a|button|input|select|textarea)\b[^>]*>", re.S)


@pytest.mark.usefixtures("both_modes")
def test_the_first_focusable_element_skips_to_the_main_landmark(user_client):
    body = user_client.get(reverse("catalog:home")).content.decode()
    after_body = body[body.index("<body") :]
    first = FOCUSABLE.search(after_body).group(0)
    assert 'href="#main"' in first and "visually-hidden-focusable" in first
    assert after_body[FOCUSABLE.search(after_body).end() :].startswith(
        "Skip to content</a>"
    )
    assert re.search(r'<main [^>]*id="main"', body)


@pytest.mark.django_db
def test_on_aws_the_favicon_and_manifest_point_at_collected_hashed_files(
    client, settings, aws_static_root
):
    settings.STATIC_ROOT = aws_static_root
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        },
    }
    icon = client.get("/favicon.ico")["Location"]
    sources = [item["src"] for item in client.get(reverse("manifest")).json()["icons"]]
    for url in (icon, *sources):
        name = url.removeprefix("/static/")
        assert re.search(r"\.[0-9a-f]{12}\.(ico|png)$", name), name
        assert (aws_static_root / name).is_file(), name
