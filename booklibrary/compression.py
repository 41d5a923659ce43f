"""Gzip for HTML that holds no secret; everything else goes out as it is.

BREACH recovers a secret from a compressed HTTPS response by making the
victim's browser send guesses that the page reflects, and watching the
compressed size shrink when a guess matches. Django masks the CSRF token
afresh on every response, but a reader's pages hold other things of theirs
(their books, notes, e-mail address) next to reflected input (the search box),
so a page is compressed only when it holds nothing of anyone's: no one is
logged in, no CSRF token was put in it, and it sets no cookie. That covers the
welcome page and the logged-out error and information pages. Static files
hold no secret and are compressed ahead of time (whitenoise's gzip copies).
"""

from django.middleware.gzip import GZipMiddleware


def may_hold_a_secret(request, response) -> bool:
    """Whether the response could carry something an attacker must not learn."""
    user = getattr(request, "user", None)  # absent when a middleware answered early
    return (
        not response.get("Content-Type", "").startswith("text/html")
        or bool(user and user.is_authenticated)
        or bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE"))  # a token is in it
        or bool(response.cookies)
    )


class PublicPageGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware, for pages that hold no secret only."""

    def process_response(self, request, response):
        if may_hold_a_secret(request, response):
            return response
        return super().process_response(request, response)
