"""A reader lends a book, sees it overdue on the loans page and marks it returned."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from catalog.models import Loan
from tests.factories import BookFactory, UserBookFactory, UserFactory

PASSWORD = "browser passphrase 1"


def test_lend_see_it_overdue_then_mark_it_returned(page):
    user = UserFactory(password=PASSWORD)
    record = UserBookFactory(user=user, book=BookFactory(title="Dune"))
    UserBookFactory(user=user, book=BookFactory(title="Emma"))
    today = timezone.localdate()
    page.goto("/login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your library")).to_be_visible()

    page.goto(record.get_absolute_url())
    page.get_by_text("Lend this book").click()
    page.get_by_label("Lent to").fill("Sam")
    page.get_by_label("Lent on").fill((today - timedelta(days=20)).isoformat())
    page.get_by_label("Due back on").fill((today - timedelta(days=6)).isoformat())
    page.get_by_role("button", name="Lend", exact=True).click()

    expect(
        page.get_by_role("alert").filter(has_text="“Dune” is lent to Sam.")
    ).to_be_visible()
    expect(page.locator("#loan-current")).to_contain_text("Overdue")

    page.get_by_role("navigation").get_by_role("link", name="Loans").click()
    expect(page).to_have_url(re.compile(r"/loans/$"))
    row = page.locator("#loans-lent tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Dune")
    expect(row).to_contain_text("Sam")
    expect(row).to_contain_text("Overdue")

    row.get_by_role("link", name="Dune").click()
    page.get_by_label("Returned on").fill(today.isoformat())
    page.get_by_role("button", name="Mark returned").click()

    expect(
        page.get_by_role("alert").filter(has_text="is back from Sam.")
    ).to_be_visible()
    history = page.locator("#loan-history")
    expect(history).to_contain_text("Lent to Sam")
    expect(history).to_contain_text("returned")
    expect(page.get_by_text("Lend this book")).to_be_visible()
    assert Loan.objects.open_for(user, record.book_id) is None
    page.goto("/loans/")
    expect(page.locator("#loans-lent-none")).to_be_visible()
