"""Pages send a strict Content-Security-Policy; HEAD works wherever GET does."""

import re
from pathlib import Path

import pytest
from django.urls import get_resolver, reverse

from tests.factories import UserBookFactory
from tests.test_scoping import _walk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]
ROOT = Path(__file__).resolve().parent.parent


def _routes():
    for name, route, _ in _walk(get_resolver().url_patterns):
        if route.startswith(("admin/", "media/")) or name == "media":
            continue
        yield pytest.param(route, id=name)


@pytest.mark.parametrize("route", list(_routes()))
def test_head_answers_like_get_on_every_page(client, user, route):
    record = UserBookFactory(user=user)
    client.force_login(user)
    url = "/" + route.replace("<str:key>", record.book_id)
    url = re.sub(r"<[^>]+>", "x", url)
    got, head = client.get(url), client.head(url)
    assert head.status_code == got.status_code, (url, got.status_code)
    assert head.content == b""


@pytest.mark.parametrize(
    "url", ["/health", "/login", "/signup/", "/password/reset/", "/admin/login/"]
)
def test_head_works_for_anonymous_pages(client, url):
    assert client.head(url).status_code == 200


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part)
    }


def test_pages_send_a_strict_policy_without_inline_script(user_client):
    for name in ("catalog:home", "catalog:book-list", "catalog:book-add"):
        policy = _policy(user_client.get(reverse(name)))
        assert policy["default-src"] == ["'none'"]
        assert policy["script-src"] == ["'self'"]
        assert policy["style-src"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["object-src"] == ["'none'"]
        assert "'unsafe-inline'" not in str(policy) and "'unsafe-eval'" not in str(
            policy
        )


def test_only_the_camera_page_may_compile_webassembly(user_client):
    camera = _policy(user_client.get(reverse("catalog:add-camera")))
    assert camera["script-src"] == ["'self'", "'wasm-unsafe-eval'"]
    assert "'unsafe-eval'" not in camera["script-src"]
    home = _policy(user_client.get(reverse("catalog:home")))
    assert "'wasm-unsafe-eval'" not in home["script-src"]


def test_the_admin_sends_the_policy_too(client):
    policy = _policy(client.get("/admin/login/"))
    assert policy["script-src"] == ["'self'"]


TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))


@pytest.mark.parametrize(
    "template", TEMPLATES, ids=[str(t.relative_to(ROOT)) for t in TEMPLATES]
)
def test_templates_hold_no_inline_script_style_or_handlers(template):
    text = template.read_text()
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert "src=" in tag, f"inline <script> in {template.name}: {tag}"
    assert not re.search(r"\son[a-z]+\s*=", text), f"on* handler in {template.name}"
    assert not re.search(r"\sstyle\s*=", text), f"style attribute in {template.name}"
    assert "<style" not in text and "javascript:" not in text
