"""Which scripts a page loads: only those it uses."""

import pytest
from django.core.exceptions import SuspiciousOperation
from django.urls import reverse
from django.views import defaults

BOOTSTRAP_JS = "bootstrap.bundle.min.js"


def _head(html: str) -> str:
    return html.split("</head>", 1)[0]


@pytest.mark.django_db
def test_the_colour_mode_script_runs_in_the_head_before_drawing(client):
    head = _head(client.get(reverse("accounts:login")).content.decode())
    tag = next(line for line in head.splitlines() if "js/theme" in line)
    assert "defer" not in tag and "async" not in tag and "module" not in tag


@pytest.mark.django_db
def test_shortcuts_load_for_a_reader_only(client, user):
    logged_out = client.get(reverse("catalog:home")).content.decode()
    assert "js/shortcuts" not in logged_out and "shortcuts-open" not in logged_out
    client.force_login(user)
    logged_in = client.get(reverse("catalog:home")).content.decode()
    assert "js/shortcuts" in logged_in and 'id="shortcuts-open"' in logged_in


@pytest.mark.django_db
def test_pages_with_the_full_navbar_load_bootstraps_script(client):
    for url in (reverse("catalog:home"), reverse("accounts:login"), "/no/such/"):
        assert BOOTSTRAP_JS in client.get(url).content.decode(), url


def test_the_bare_error_pages_do_without_bootstraps_script(rf):
    request = rf.get("/")
    pages = [
        defaults.server_error(request),
        defaults.bad_request(request, SuspiciousOperation()),
    ]
    for response in pages:
        html = response.content.decode()
        assert "Book Library" in html
        assert BOOTSTRAP_JS not in html
        assert "navbar-toggler" not in html and "data-bs-toggle" not in html
