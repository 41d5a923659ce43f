"""In AWS mode covers land in the private S3 bucket and are served by signed URLs."""

import pytest
from django.core.files.storage import default_storage

from catalog import services
from catalog.models import Book, UserBook

DUNE = "9780441172719"
BUCKET = "booklibrary-media-test"


@pytest.fixture
def s3_media(aws_tables, settings):
    import boto3

    s3 = boto3.client("s3", region_name="us-west-2")
    s3.create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"}
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "region_name": "us-west-2",
                "signature_version": "s3v4",
                "querystring_auth": True,
                "default_acl": None,
                "file_overwrite": True,
                "location": "media",
            },
        },
    }
    return s3


@pytest.mark.django_db
def test_covers_are_stored_in_s3_and_linked_with_signed_urls(
    s3_media, user, fake_provider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.userbook_add(user=user, isbn=DUNE)
    book = Book.objects.get_by_key(DUNE)
    keys = {o["Key"] for o in s3_media.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert keys == {f"media/covers/{DUNE}.jpg", f"media/covers/{DUNE}-thumb.jpg"}
    url = book.cover_thumb.url
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url and "X-Amz-Signature=" in url
    assert default_storage.exists(book.cover.name)


@pytest.mark.django_db
def test_a_readers_cover_photo_lands_in_s3_on_aws_mode(s3_media, dynamo_mode):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import User
    from catalog.forms import CoverPhotoForm
    from tests.fake_provider import make_cover_jpeg

    user = User.objects.create_user("reader", "reader@example.com", "a passphrase 1")
    record = services.userbook_add_manual(user=user, book_fields={"title": "Notes"})
    upload = SimpleUploadedFile("photo.jpg", make_cover_jpeg(size=(800, 1200)))
    form = CoverPhotoForm({}, {"photo": upload})
    assert form.is_valid(), form.errors
    services.userbook_set_cover_photo(
        user=user, book_key=record.book_id, image=form.cleaned_data["photo"]
    )
    keys = {o["Key"] for o in s3_media.list_objects_v2(Bucket=BUCKET)["Contents"]}
    prefix = f"media/private/{user.pk}/covers/{record.book_id}-"
    assert len(keys) == 2 and all(k.startswith(prefix) for k in keys)
    shown = UserBook.objects.get_for_user(user, record.book_id).shown
    assert "X-Amz-Signature=" in shown.cover.url


@pytest.mark.django_db
def test_a_readers_private_photo_is_no_public_object_and_is_linked_signed(s3_media):
    from urllib.parse import parse_qs, urlsplit

    from django.core.files.base import ContentFile

    name = default_storage.save("private/7/covers/9780441172719.jpg", ContentFile(b"x"))
    key = f"media/{name}"
    grants = s3_media.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
    assert [g["Grantee"]["Type"] for g in grants] == ["CanonicalUser"]
    assert not [g for g in grants if "URI" in g["Grantee"]]  # no AllUsers grant
    query = parse_qs(urlsplit(default_storage.url(name)).query)
    assert "X-Amz-Signature" in query
    assert int(query["X-Amz-Expires"][0]) <= 3600
