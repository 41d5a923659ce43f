"""Uploads that go from the browser straight to S3 (a Lambda takes 6 MB at most).

The Import page on AWS posts the file to the media bucket with a presigned
POST: the policy holds the reader's own key prefix, the largest size and the
address S3 sends the browser back to, so nothing else can be posted with it.
The file lands under ``private/<user id>/uploads/<token>/`` in the storage's
own names, where ``import_start_stored`` takes it.
"""

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.storage import default_storage


@dataclass
class PresignedPost:
    url: str
    fields: dict[str, str]

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"


def upload_prefix(user_id: int) -> str:
    """The storage names a reader's direct uploads start with."""
    return f"private/{user_id}/uploads/"


def _location() -> str:
    location = getattr(default_storage, "location", "") or ""
    return location.strip("/") + "/" if location else ""


def presigned_post(user_id: int, redirect_url: str) -> PresignedPost:
    """Return the form S3 takes one import file from this reader with."""
    prefix = _location() + upload_prefix(user_id) + secrets.token_urlsafe(12) + "/"
    client = default_storage.connection.meta.client
    post = client.generate_presigned_post(
        Bucket=default_storage.bucket_name,
        Key=prefix + "${filename}",
        Fields={"success_action_redirect": redirect_url},
        Conditions=[
            ["starts-with", "$key", prefix],
            {"success_action_redirect": redirect_url},
            ["content-length-range", 1, settings.IMPORT_MAX_UPLOAD_BYTES],
        ],
        ExpiresIn=3600,
    )
    return PresignedPost(post["url"], post["fields"])


def stored_name(key: str) -> str:
    """Return the storage name of an object key S3 gave back (its location off)."""
    location = _location()
    return key[len(location) :] if location and key.startswith(location) else key
