"""The pages of a tag or location change run in the background, both modes."""

import json
import re
from html import unescape

import pytest
from django.urls import reverse

from catalog import locations, services
from catalog.backends import get_backend
from catalog.models import UserBook
from catalog.services import tag_jobs, tagging
from tests.factories import BookFactory, UserBookFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]


def _text(response) -> str:
    return " ".join(
        unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split()
    )


@pytest.fixture
def shelf(user, monkeypatch):
    """Five books tagged "scifi" at the "Hall", more than a request changes."""
    monkeypatch.setattr(tagging, "TAG_CHANGE_BATCH", 3)
    monkeypatch.setattr(locations, "RENAME_MAX_RECORDS", 3)
    monkeypatch.setattr(tag_jobs, "TAG_JOB_BATCH", 2)
    return [
        UserBookFactory(
            user=user,
            book=BookFactory(title=f"Book {n}"),
            tags=["scifi", "Owned"],
            location="Hall",
        )
        for n in range(5)
    ]


def _rename(client, tag="scifi", name="sci-fi"):
    return client.post(reverse("catalog:tag-rename"), {"tag": tag, "name": name})


def test_a_large_rename_starts_a_job_the_tags_page_follows(user, user_client, shelf):
    response = _rename(user_client)
    assert response.status_code == 302
    page = user_client.get(reverse("catalog:tags"))
    text = _text(page)
    assert "“scifi” is on 5 books: the books change in the background" in text
    assert "Renaming “scifi” to “sci-fi”: 0 of 5 books" in text
    html = page.content.decode()
    assert 'id="tag-job-progress"' in html and 'max="5"' in html
    assert 'id="tag-job-reload"' in html and "js/tag_job.js" in html
    # Nothing changed yet; the books keep their tag meanwhile.
    assert [r["shown"] for r in page.context["rows"]] == ["Owned", "scifi"]
    status = json.loads(user_client.get(reverse("catalog:tag-job")).content)
    assert status == {
        "running": True,
        "done": 0,
        "total": 5,
        "text": "Renaming “scifi” to “sci-fi”: 0 of 5 books",
    }


def test_the_progress_moves_and_the_result_is_shown_when_done(
    user, user_client, shelf, monkeypatch
):
    _rename(user_client)
    job = get_backend().get_tag_job(user)
    monkeypatch.setattr(tag_jobs, "_enqueue", lambda job: None)
    services.tag_job_run(user_id=user.pk, token=job.token, seconds=0)
    status = json.loads(user_client.get(reverse("catalog:tag-job")).content)
    assert (status["running"], status["done"]) == (True, 2)
    assert "2 of 5 books" in _text(user_client.get(reverse("catalog:tags")))
    services.tag_job_run(user_id=user.pk, token=job.token)
    status = json.loads(user_client.get(reverse("catalog:tag-job")).content)
    assert status["running"] is False
    page = user_client.get(reverse("catalog:tags"))
    assert "Renamed “scifi” to “sci-fi” on 5 books." in _text(page)
    assert "js/tag_job.js" not in page.content.decode()
    assert [(r["shown"], r["count"]) for r in page.context["rows"]] == [
        ("Owned", 5),
        ("sci-fi", 5),
    ]


def test_a_second_change_is_refused_with_what_runs_and_keeps_what_was_typed(
    user, user_client, shelf
):
    _rename(user_client)
    response = _rename(user_client, tag="Owned", name="Mine")
    assert response.status_code == 400
    text = _text(response)
    assert "Renaming “scifi” to “sci-fi”: 0 of 5 books. Wait until it finishes" in (
        text
    )
    # Nothing changed, and the name typed stays in its field.
    row = next(r for r in response.context["rows"] if r["shown"] == "Owned")
    assert row["typed"] == "Mine"
    deleted = user_client.post(reverse("catalog:tag-delete"), {"tag": "Owned"})
    assert deleted.status_code == 302
    page = user_client.get(reverse("catalog:tags"))
    assert "Wait until it finishes" in _text(page)
    assert all(
        "Owned" in r.tags
        for r in UserBook.objects.for_keys(user, [r.book_id for r in shelf]).values()
    )


def test_a_large_location_rename_is_followed_on_the_locations_page(
    user, user_client, shelf
):
    response = user_client.post(
        reverse("catalog:locations"), {"old": "Hall", "new": "Attic"}
    )
    assert response.status_code == 302
    page = user_client.get(reverse("catalog:locations"))
    text = _text(page)
    assert "The books at “Hall” move to “Attic” in the background" in text
    assert "Moving the books at “Hall” to “Attic”: 0 of 5 books" in text
    job = get_backend().get_tag_job(user)
    services.tag_job_run(user_id=user.pk, token=job.token)
    page = user_client.get(reverse("catalog:locations"))
    assert "Moved 5 books from “Hall” to “Attic”." in _text(page)
    assert [r["location"] for r in page.context["rows"]] == ["Attic"]


def test_a_readers_job_is_theirs_alone(user, user_client, shelf, client):
    _rename(user_client)
    other = UserFactory()
    client.force_login(other)
    status = json.loads(client.get(reverse("catalog:tag-job")).content)
    assert status == {"running": False, "done": 0, "total": 0, "text": ""}
    assert 'id="tag-job"' not in client.get(reverse("catalog:tags")).content.decode()
    client.logout()
    assert client.get(reverse("catalog:tag-job")).status_code == 302


def test_asking_to_count_every_book_counts_them(user, user_client, both_modes):
    UserBookFactory(user=user, book=BookFactory(title="Dune"), tags=["Classic"])
    if both_modes == "dynamodb":
        from catalog.backends.dynamodb import tallies

        tallies.drop(user.pk)
    response = user_client.post(reverse("catalog:counters-rebuild"), {"back": "tags"})
    assert response.status_code == 302
    assert response.url == reverse("catalog:tags")
    assert UserBook.objects.counters_built(user)
    back = user_client.post(reverse("catalog:counters-rebuild"), {"back": "locations"})
    assert back.url == reverse("catalog:locations")
    assert user_client.get(reverse("catalog:counters-rebuild")).status_code == 405
