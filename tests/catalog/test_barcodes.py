"""Barcode decoding: each decoder alone, the chain, photo-like images, bad uploads."""

import io
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.barcodes import (
    BarcodeError,
    BarcodeResult,
    Decoder,
    PyzbarDecoder,
    ZxingCppDecoder,
    clear_decoder_cache,
    codes,
    decode_isbns,
    get_decoders,
)
from tests.barcode_images import (
    blank_image,
    ean13_full,
    ean13_image,
    photo_like,
    side_by_side,
    to_bytes,
    with_exif_orientation,
)

ISBN = "9780306406157"
SECOND_ISBN = ean13_full("979103230569")
NOT_A_BOOK = "5901234123457"
DECODERS = [ZxingCppDecoder, PyzbarDecoder]
ZXING_ONLY = ["catalog.barcodes.ZxingCppDecoder"]


@pytest.fixture(scope="module")
def clean() -> Image.Image:
    return ean13_image(ISBN)


class SpyDecoder(Decoder):
    """Records the images it is given and reports fixed texts."""

    name = "spy"

    def __init__(self, texts: list[str] | None = None):
        self.texts = texts or []
        self.sizes: list[tuple[int, int]] = []

    @classmethod
    def available(cls) -> bool:
        return True

    def decode(self, image: Image.Image) -> list[str]:
        self.sizes.append(image.size)
        return list(self.texts)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares huge dimensions in a few bytes (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


# The decoder contract: every implementation passes these.


@pytest.mark.parametrize("decoder_class", DECODERS, ids=lambda c: c.name)
class TestDecoderContract:
    def test_is_available_in_this_environment(self, decoder_class):
        assert decoder_class.available() is True

    def test_reads_a_clean_ean13(self, decoder_class, clean):
        assert ISBN in decoder_class().decode(clean.convert("L"))

    def test_reads_a_product_ean13_as_it_is(self, decoder_class):
        image = ean13_image(NOT_A_BOOK).convert("L")
        assert decoder_class().decode(image) == [NOT_A_BOOK]

    def test_finds_nothing_in_a_picture_without_a_barcode(self, decoder_class):
        assert decoder_class().decode(blank_image().convert("L")) == []

    def test_alone_in_the_chain_reads_a_clean_photo(self, decoder_class, clean):
        result = decode_isbns(to_bytes(clean), decoders=[decoder_class()])
        assert result == BarcodeResult(
            isbns=[ISBN], rejected=[], decoders_used=[decoder_class.name]
        )


# The chain on clean and photo-like images.


def test_the_chain_reads_a_clean_png_with_every_installed_decoder(clean):
    result = decode_isbns(to_bytes(clean))
    assert result.isbns == [ISBN]
    assert result.decoders_used == ["zxing-cpp", "pyzbar"]


PHOTOS = {
    "scaled-down": {"scale": 0.6},
    "scaled-up": {"scale": 2.0},
    "tilted-6-degrees": {"angle": 6},
    "tilted-minus-10-degrees": {"angle": -10},
    "turned-90-degrees": {"angle": 90},
    "turned-180-degrees": {"angle": 180},
    "turned-270-and-tilted": {"angle": 275},
    "gaussian-blur": {"blur": 1.2},
    "jpeg-quality-30": {"jpeg_quality": 30},
    "low-contrast": {"contrast": 0.25},
    "dim": {"brightness": 0.45},
    "in-a-big-noisy-photo": {
        "scale": 0.8,
        "canvas": (3000, 2250),
        "position": (0.3, 0.7),
    },
    "everything-at-once": {
        "scale": 0.8,
        "angle": 5,
        "blur": 0.8,
        "jpeg_quality": 35,
        "contrast": 0.5,
        "canvas": (2000, 1500),
        "position": (0.6, 0.4),
    },
}


@pytest.mark.parametrize("variant", PHOTOS.values(), ids=PHOTOS.keys())
def test_the_chain_reads_a_photo_like_barcode(clean, variant):
    photo = photo_like(clean, seed=7, **variant)
    assert decode_isbns(to_bytes(photo, "JPEG", quality=90)).isbns == [ISBN]


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_is_applied_before_decoding(clean, orientation):
    data = with_exif_orientation(clean, orientation)
    spy = SpyDecoder()
    decode_isbns(data, decoders=[spy])
    # The raw pixels are turned; the decoders see the picture the right way up.
    assert spy.sizes[0] == clean.size
    assert decode_isbns(data).isbns == [ISBN]


def test_a_barcode_on_a_transparent_background_is_read():
    bars = ean13_image(ISBN).convert("L").point(lambda v: 0 if v > 128 else 255)
    black = Image.new("L", bars.size, 0)
    # Black everywhere, the paper only transparent, as some editors save it.
    rgba = Image.merge("RGBA", (black, black, black, bars))
    assert decode_isbns(to_bytes(rgba)).isbns == [ISBN]


def _cmyk_jpeg(image: Image.Image) -> bytes:
    return to_bytes(image.convert("CMYK"), "JPEG")


def _sixteen_bit_png(image: Image.Image) -> bytes:
    return to_bytes(image.convert("L").point(lambda v: v * 256, "I").convert("I;16"))


FORMATS = {
    "palette-png": lambda image: to_bytes(image.convert("P")),
    "sixteen-bit-png": _sixteen_bit_png,
    "gif": lambda image: to_bytes(image.convert("P"), "GIF"),
    "webp": lambda image: to_bytes(image, "WEBP"),
    "tiff": lambda image: to_bytes(image, "TIFF"),
    "bmp": lambda image: to_bytes(image, "BMP"),
    "cmyk-jpeg": _cmyk_jpeg,
    "progressive-jpeg": lambda image: _save(image, "JPEG", progressive=True),
}


def _save(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


@pytest.mark.parametrize("encode", FORMATS.values(), ids=FORMATS.keys())
def test_any_image_format_pillow_opens_is_read(clean, encode):
    assert decode_isbns(encode(clean)).isbns == [ISBN]


def test_two_books_in_one_photo_offer_both_isbns(clean):
    pair = side_by_side(clean, ean13_image(SECOND_ISBN))
    result = decode_isbns(to_bytes(photo_like(pair, scale=0.8, angle=3), "JPEG"))
    assert sorted(result.isbns) == sorted([ISBN, SECOND_ISBN])
    assert result.rejected == []


def test_a_product_barcode_is_rejected_with_its_digits():
    result = decode_isbns(to_bytes(ean13_image(NOT_A_BOOK)))
    assert result.isbns == []
    assert result.rejected == [NOT_A_BOOK]


def test_a_product_barcode_next_to_a_book_is_reported_beside_the_isbn(clean):
    pair = side_by_side(clean, ean13_image(NOT_A_BOOK))
    result = decode_isbns(to_bytes(pair))
    assert result.isbns == [ISBN]
    assert result.rejected == [NOT_A_BOOK]


@pytest.mark.parametrize("decoder_class", DECODERS, ids=lambda c: c.name)
def test_a_price_add_on_is_ignored(decoder_class):
    image = ean13_image(ISBN, addon="52495")
    result = decode_isbns(to_bytes(image), decoders=[decoder_class()])
    assert result.isbns == [ISBN]
    assert result.rejected == []


@pytest.mark.parametrize(
    "text",
    ["9780306406157 52495", "978030640615752495", "978030640615712", "9780306406157"],
    ids=["spaced-ean5", "glued-ean5", "glued-ean2", "plain"],
)
def test_add_on_digits_reported_by_a_decoder_are_stripped(clean, text):
    result = decode_isbns(to_bytes(clean), decoders=[SpyDecoder([text])])
    assert result.isbns == [ISBN]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9780306406157", (ISBN, None)),
        ("0306406152", (ISBN, None)),
        ("036000291452", (None, "036000291452")),
        ("0036000291452", (None, "036000291452")),
        ("03600029145214", (None, "036000291452")),
        (NOT_A_BOOK, (None, NOT_A_BOOK)),
        ("96385074", (None, "96385074")),
        ("9780306406158", (None, None)),
        ("52495", (None, None)),
        ("", (None, None)),
    ],
    ids=[
        "isbn13",
        "isbn10",
        "upc-a",
        "upc-a-as-ean13",
        "upc-a-with-ean2",
        "product-ean13",
        "ean8",
        "isbn-with-bad-check-digit",
        "add-on-alone",
        "empty",
    ],
)
def test_classify_sorts_books_from_other_products(text, expected):
    assert codes.classify(text) == expected


def test_the_same_isbn_seen_twice_is_offered_once(clean):
    spy = SpyDecoder([ISBN, "978030640615752495"])
    result = decode_isbns(to_bytes(clean), decoders=[spy, SpyDecoder([ISBN])])
    assert result.isbns == [ISBN]


def test_a_photo_without_a_barcode_gives_an_empty_result():
    result = decode_isbns(to_bytes(blank_image(), "JPEG"))
    assert result == BarcodeResult(
        isbns=[], rejected=[], decoders_used=["zxing-cpp", "pyzbar"]
    )


def test_passes_stop_once_an_isbn_is_found(clean):
    spy = SpyDecoder([ISBN])
    decode_isbns(to_bytes(clean), decoders=[spy])
    assert len(spy.sizes) == 1


def test_a_rejected_code_alone_keeps_the_passes_going(clean):
    spy = SpyDecoder([NOT_A_BOOK])
    result = decode_isbns(to_bytes(clean), decoders=[spy])
    assert len(spy.sizes) > 1
    assert result.rejected == [NOT_A_BOOK]


# Uploads: Django files, streams, and what is refused.


def test_a_django_upload_is_read_from_the_start(clean):
    upload = SimpleUploadedFile("back.png", to_bytes(clean), "image/png")
    upload.read()  # Validation may have read it already.
    assert decode_isbns(upload).isbns == [ISBN]


@pytest.mark.parametrize(
    "data",
    [b"", b"%PDF-1.7\n" + b"x" * 500, b"just text"],
    ids=["empty", "pdf", "text"],
)
def test_a_file_that_is_not_an_image_is_refused(data):
    with pytest.raises(BarcodeError) as caught:
        decode_isbns(data)
    assert str(caught.value) == (
        "That file is not an image we can read (JPEG or PNG, please)."
    )


def test_a_heic_photo_pillow_cannot_open_asks_for_jpeg_or_png():
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 100
    with pytest.raises(BarcodeError, match=r"HEIC.*JPEG or PNG"):
        decode_isbns(heic)


def test_a_truncated_image_is_refused_as_damaged(clean):
    data = to_bytes(clean, "JPEG")
    with pytest.raises(BarcodeError, match="damaged or incomplete"):
        decode_isbns(data[: len(data) // 2])


@pytest.mark.parametrize(
    "wrap",
    [bytes, io.BytesIO, lambda d: SimpleUploadedFile("big.jpg", d, "image/jpeg")],
    ids=["bytes", "stream", "django-upload"],
)
def test_an_upload_over_the_limit_is_refused_with_both_sizes(settings, wrap):
    settings.BARCODE_MAX_UPLOAD_BYTES = 1024 * 1024
    data = b"\xff\xd8" + b"\0" * (1024 * 1024 + 512 * 1024)
    with pytest.raises(BarcodeError) as caught:
        decode_isbns(wrap(data))
    assert str(caught.value) == "That photo is too large (1.5 MB); the limit is 1 MB."


def test_a_decompression_bomb_is_refused():
    with pytest.raises(BarcodeError) as caught:
        decode_isbns(png_header_only(60_000, 60_000))
    assert str(caught.value) == "That image is too large to process safely."


def test_pillows_bomb_warning_is_a_refusal_too(monkeypatch, clean):
    # Between Pillow's limit and twice it, Pillow only warns.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", clean.width * clean.height // 2 + 1)
    with pytest.raises(BarcodeError, match="too large to process safely"):
        decode_isbns(to_bytes(clean))


def test_images_over_the_pixel_setting_are_refused(settings, clean):
    settings.BARCODE_MAX_IMAGE_PIXELS = 10_000
    with pytest.raises(BarcodeError, match="too large to process safely"):
        decode_isbns(to_bytes(clean))


# Which decoders run: settings, and hosts without libzbar0 (AWS Lambda).


def test_with_no_decoder_configured_the_error_says_what_to_install(settings, clean):
    settings.BARCODE_DECODERS = []
    with pytest.raises(BarcodeError) as caught:
        decode_isbns(to_bytes(clean))
    message = str(caught.value)
    assert message.startswith("No barcode decoder is installed")
    assert "zxing-cpp" in message
    assert "libzbar0" in message


def test_only_the_configured_decoders_run(settings, clean):
    settings.BARCODE_DECODERS = ZXING_ONLY
    assert [d.name for d in get_decoders()] == ["zxing-cpp"]
    assert decode_isbns(to_bytes(clean)).decoders_used == ["zxing-cpp"]


def test_an_unimportable_decoder_path_is_a_configuration_error(settings):
    settings.BARCODE_DECODERS = ["catalog.barcodes.NoSuchDecoder"]
    with pytest.raises(ImproperlyConfigured, match="NoSuchDecoder"):
        get_decoders()


@pytest.fixture
def without_libzbar(monkeypatch):
    """Make importing pyzbar fail the way it does on a host without libzbar0."""
    from pyzbar import zbar_library

    def missing():
        raise ImportError("Unable to find zbar shared library")

    monkeypatch.setattr(zbar_library, "load", missing)
    # Forget the loaded modules so the next import runs them again and fails, and
    # what the chain probed, as in a process started on such a host.
    for module in ("pyzbar.pyzbar", "pyzbar.wrapper"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    clear_decoder_cache()
    yield
    clear_decoder_cache()


@pytest.mark.usefixtures("without_libzbar")
def test_without_libzbar_pyzbar_is_unavailable_and_zxing_cpp_decodes(clean):
    assert PyzbarDecoder.available() is False
    assert [d.name for d in get_decoders()] == ["zxing-cpp"]
    photo = photo_like(clean, scale=0.8, angle=4, jpeg_quality=50)
    result = decode_isbns(to_bytes(photo, "JPEG"))
    assert result.isbns == [ISBN]
    assert result.decoders_used == ["zxing-cpp"]


@pytest.mark.usefixtures("without_libzbar")
def test_without_libzbar_or_zxing_cpp_the_error_says_what_to_install(
    monkeypatch, clean
):
    monkeypatch.setitem(sys.modules, "zxingcpp", None)
    assert ZxingCppDecoder.available() is False
    with pytest.raises(BarcodeError, match="No barcode decoder is installed"):
        decode_isbns(to_bytes(clean))


class CountingDecoder(SpyDecoder):
    """A decoder that counts how often the chain asks whether it can run."""

    probes = 0

    @classmethod
    def available(cls) -> bool:
        cls.probes += 1
        return True


def test_decoders_are_probed_once_per_configuration(settings):
    settings.BARCODE_DECODERS = ["tests.catalog.test_barcodes.CountingDecoder"]
    clear_decoder_cache()
    CountingDecoder.probes = 0
    get_decoders()
    get_decoders()
    assert CountingDecoder.probes == 1
    clear_decoder_cache()


def test_importing_the_module_loads_no_decoder_library():
    code = (
        "import sys, catalog.barcodes; "
        "sys.exit(any(m in sys.modules for m in ('zxingcpp', 'pyzbar')))"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, check=False)
    assert done.returncode == 0
