"""Benchmark: peak memory of one large photo upload through the real views.

    .venv/bin/python bench/upload_memory.py [--megapixels 64] [--limit-mb 200]

Makes a photo-like JPEG of the given size (a camera photo: smooth light, some
detail, an ISBN barcode), then posts it in a fresh subprocess per view, logged
in through Django's test client: the barcode photo page, a cover photo for a
book in the library, and adding a book by hand with a cover photo. Each
subprocess reports the growth of its peak resident memory (``VmHWM``, reset
after setting up)
during the request, and the request's answer. Exits non-zero when a view
needs more than ``--limit-mb``.
"""

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VIEWS = ("barcode photo", "cover photo", "manual add with cover")


def make_photo(path: Path, megapixels: float) -> None:
    """Write a photo-like JPEG of about ``megapixels`` (4:3) to ``path``."""
    from PIL import Image, ImageDraw, ImageFilter

    sys.path.insert(0, str(ROOT))
    from tests.barcode_images import ean13_image

    height = int((megapixels * 1_000_000 * 3 / 4) ** 0.5)
    width = int(height * 4 / 3)
    # A small noise tile, scaled up and blurred: camera-like texture that JPEG
    # compresses to a realistic few bytes per pixel.
    tile = Image.effect_noise((width // 16, height // 16), 40).convert("RGB")
    photo = tile.resize((width, height), Image.Resampling.BILINEAR)
    photo = photo.filter(ImageFilter.GaussianBlur(2))
    draw = ImageDraw.Draw(photo)
    draw.rectangle((width // 4, height // 4, width // 2, height // 2), fill="white")
    barcode = ean13_image("9780140328721", module_width=0.4).convert("RGB")
    photo.paste(barcode, (width // 4 + 20, height // 4 + 20))
    photo.save(path, "JPEG", quality=85)


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak() -> int:
    """Reset the peak resident memory to the current one (Linux); return it in KB."""
    # Setting up (migrations, imports) peaks far above what a request needs;
    # writing 5 to clear_refs starts the high-water mark again from here.
    Path("/proc/self/clear_refs").write_text("5")
    return _status_kb("VmRSS")


def peak_kb() -> int:
    """The peak resident memory since the last reset, in KB."""
    return _status_kb("VmHWM")


def child(view: str, path: Path) -> None:
    """Post the photo to one view and print the memory it took, as JSON."""
    sys.path.insert(0, str(ROOT / "bench"))
    from benchenv import setup_django

    setup_django()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.urls import reverse

    from catalog import services
    from tests.factories import UserFactory

    user = UserFactory()
    client = Client()
    client.force_login(user)
    record = services.userbook_add_manual(
        user=user, book_fields={"title": "No cover yet"}, isbn="", status="want"
    )
    upload = SimpleUploadedFile("photo.jpg", path.read_bytes(), "image/jpeg")
    if view == "barcode photo":
        url, data = reverse("catalog:add-photo"), {"photo": upload}
    elif view == "cover photo":
        url = reverse("catalog:book-cover", args=[record.book_id])
        data = {"photo": upload}
    else:
        url = reverse("catalog:book-add")
        data = {
            "mode": "manual",
            "manual-title": "Added by hand",
            "manual-status": "want",
            "manual-owned": "on",
            "manual-cover_photo": upload,
        }
    gc.collect()
    before = reset_peak()
    started = time.perf_counter()
    response = client.post(url, data)
    seconds = time.perf_counter() - started
    after = peak_kb()
    print(
        json.dumps(
            {
                "view": view,
                "status": response.status_code,
                "peak_growth_mb": (after - before) / 1024,
                "peak_mb": after / 1024,
                "seconds": seconds,
                "found": _found(response),
            }
        )
    )


def _found(response) -> list[str] | None:
    """The ISBNs the barcode photo page read, if it is that page."""
    found = (response.context or {}).get("found") if response.context else None
    return list(found.isbns) if found is not None else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megapixels", type=float, default=64)
    parser.add_argument("--limit-mb", type=float, default=200)
    parser.add_argument("--child", nargs=2, metavar=("VIEW", "PHOTO"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return 0
    with tempfile.TemporaryDirectory(prefix="booklibrary-bench-") as folder:
        photo = Path(folder) / "photo.jpg"
        make_photo(photo, args.megapixels)
        size = photo.stat().st_size / 1024 / 1024
        print(f"{args.megapixels:g} MP JPEG, {size:.1f} MB")
        worst = 0.0
        for view in VIEWS:
            done = subprocess.run(  # noqa: S603 - our own script
                [sys.executable, __file__, "--child", view, str(photo)],
                capture_output=True,
                text=True,
                check=False,
                env={**os.environ, "PYTHONWARNINGS": "ignore"},
            )
            lines = done.stdout.strip().splitlines()
            if done.returncode or not lines:
                print(f"{view}: failed\n{done.stderr[-2000:]}")
                return 1
            row = json.loads(lines[-1])
            worst = max(worst, row["peak_growth_mb"])
            print(
                f"{view:24} HTTP {row['status']}  peak +{row['peak_growth_mb']:.0f} MB"
                f" (process {row['peak_mb']:.0f} MB)  {row['seconds']:.1f} s"
                + (f"  read {row['found']}" if row["found"] is not None else "")
            )
    print(f"worst: +{worst:.0f} MB (limit {args.limit_mb:g} MB)")
    return 0 if worst <= args.limit_mb else 1


if __name__ == "__main__":
    sys.exit(main())
