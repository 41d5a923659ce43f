"""Make barcode pictures for tests and the benchmark: clean codes and photo-like ones.

The EAN-13 itself comes from python-barcode; the EAN-5 price add-on is drawn here
because python-barcode has no add-ons. Every random choice takes a seed, so a test
or benchmark image is the same on every run.
"""

import io
import random

import barcode
from barcode.charsets import ean as ean_charset
from barcode.writer import ImageWriter
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

DPI = 300
MM_PER_INCH = 25.4
# 0.254 mm at 300 dpi is exactly 3 px per module, so the add-on lines up with it.
DEFAULT_MODULE_WIDTH = 0.254
EAN5_PARITY = (
    "GGLLL",
    "GLGLL",
    "GLLGL",
    "GLLLG",
    "LGGLL",
    "LLGGL",
    "LLLGG",
    "LGLGL",
    "LGLLG",
    "LLGLG",
)
EXIF_ORIENTATION = 0x0112
# For each EXIF orientation, the transpose that turns upright pixels into raw ones
# (the inverse of what a viewer, or ImageOps.exif_transpose, applies).
_UPRIGHT_TO_RAW = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def ean13_full(code: str) -> str:
    """Return the 13-digit EAN for 12 digits (adds the check digit) or 13 digits."""
    return barcode.get("ean13", code[:12]).get_fullcode()


def ean13_image(
    code: str,
    *,
    module_width: float = DEFAULT_MODULE_WIDTH,
    module_height: float = 15.0,
    addon: str | None = None,
    text: bool = True,
) -> Image.Image:
    """Render an EAN-13 (12 or 13 digits) as a clean RGB image, with an EAN-5."""
    options = {
        "module_width": module_width,
        "module_height": module_height,
        "dpi": DPI,
        "quiet_zone": 6.5,
        "write_text": text,
    }
    symbol = barcode.get("ean13", code[:12], writer=ImageWriter())
    image = symbol.render(writer_options=options).convert("RGB")
    if addon is not None:
        image = _with_ean5(image, addon, **options)
    return image


def ean5_modules(digits: str) -> str:
    """Return the bar pattern (1 = bar) of an EAN-5 add-on."""
    if len(digits) != 5 or not digits.isdigit():
        raise ValueError("An EAN-5 add-on has five digits.")
    values = [int(d) for d in digits]
    check = (3 * (values[0] + values[2] + values[4]) + 9 * (values[1] + values[3])) % 10
    codes = [
        ean_charset.CODES["A" if parity == "L" else "B"][value]
        for parity, value in zip(EAN5_PARITY[check], values, strict=True)
    ]
    return "01011" + "01".join(codes)


def _px(mm: float) -> float:
    return mm * DPI / MM_PER_INCH


def _with_ean5(
    image: Image.Image,
    digits: str,
    *,
    module_width: float,
    module_height: float,
    quiet_zone: float,
    **_options: object,
) -> Image.Image:
    """Append an EAN-5 add-on to the right of a rendered EAN-13, as on book covers."""
    pattern = ean5_modules(digits)
    module_px = _px(module_width)
    # python-barcode draws bars from the quiet zone and 1 mm below the top edge.
    first, top = _px(quiet_zone), _px(1.0)
    bottom = top + _px(module_height)
    # The add-on starts 9 modules after the main symbol; its digits sit above it.
    start = first + (95 + 9) * module_px
    quiet = 10 * module_px
    width = round(start + len(pattern) * module_px + quiet)
    canvas = Image.new("RGB", (max(width, image.width), image.height), "white")
    canvas.paste(image, (0, 0))
    draw = ImageDraw.Draw(canvas)
    bar_top = top + round(0.2 * (bottom - top))
    for index, bit in enumerate(pattern):
        if bit == "1":
            x0 = round(start + index * module_px)
            x1 = round(start + (index + 1) * module_px) - 1
            draw.rectangle((x0, bar_top, x1, bottom), fill="black")
    return canvas


def blank_image(size: tuple[int, int] = (800, 600), *, seed: int = 0) -> Image.Image:
    """A photo-like picture with no barcode in it."""
    return noisy_canvas(size, seed=seed)


def noisy_canvas(size: tuple[int, int], *, seed: int = 0) -> Image.Image:
    """A stand-in for a photo: a lit gradient, blocks of colour and sensor noise."""
    rng = random.Random(seed)
    width, height = size
    gradient = Image.linear_gradient("L").resize(size).rotate(rng.uniform(0, 360))
    channels = []
    for _ in range(3):
        low = rng.randint(40, 120)
        channels.append(gradient.point(lambda v, low=low: low + v // 3))
    base = Image.merge("RGB", channels)
    draw = ImageDraw.Draw(base)
    for _ in range(12):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1 = x0 + rng.randrange(20, max(21, width // 3))
        y1 = y0 + rng.randrange(20, max(21, height // 3))
        colour = tuple(rng.randrange(30, 230) for _ in range(3))
        draw.rectangle((x0, y0, x1, y1), fill=colour)
    # Seeded noise (Pillow's effect_noise ignores Python's seed), blended in lightly.
    noise = Image.frombytes("L", size, rng.randbytes(width * height)).convert("RGB")
    return Image.blend(base, noise, rng.uniform(0.05, 0.15))


def photo_like(
    image: Image.Image,
    *,
    scale: float = 1.0,
    angle: float = 0.0,
    blur: float = 0.0,
    jpeg_quality: int | None = None,
    contrast: float = 1.0,
    brightness: float = 1.0,
    canvas: tuple[int, int] | None = None,
    position: tuple[float, float] = (0.5, 0.5),
    seed: int = 0,
) -> Image.Image:
    """Make a clean barcode look photographed: scaled, tilted, soft, dull, in a scene.

    position places the barcode's centre as fractions of the canvas.
    """
    result = image.convert("RGB")
    if contrast != 1.0:
        result = ImageEnhance.Contrast(result).enhance(contrast)
    if brightness != 1.0:
        result = ImageEnhance.Brightness(result).enhance(brightness)
    if scale != 1.0:
        size = (
            max(1, round(result.width * scale)),
            max(1, round(result.height * scale)),
        )
        result = result.resize(size, Image.Resampling.LANCZOS)
    if angle:
        background = result.getpixel((0, 0))
        result = result.rotate(
            angle, Image.Resampling.BICUBIC, expand=True, fillcolor=background
        )
    if blur:
        # Blurring before the scene is pasted round it is as good for decoding and
        # much cheaper than blurring a whole 12-megapixel scene.
        result = result.filter(ImageFilter.GaussianBlur(blur))
    if canvas is not None:
        result = place_on(result, canvas, position=position, seed=seed)
    if jpeg_quality is not None:
        result = Image.open(io.BytesIO(to_bytes(result, "JPEG", quality=jpeg_quality)))
        result.load()
    return result


def place_on(
    image: Image.Image,
    canvas: tuple[int, int],
    *,
    position: tuple[float, float] = (0.5, 0.5),
    seed: int = 0,
) -> Image.Image:
    """Paste an image into a noisy scene, its centre at position (fractions)."""
    scene = noisy_canvas(
        (max(canvas[0], image.width), max(canvas[1], image.height)), seed=seed
    )
    x = round(position[0] * scene.width - image.width / 2)
    y = round(position[1] * scene.height - image.height / 2)
    x = min(max(0, x), scene.width - image.width)
    y = min(max(0, y), scene.height - image.height)
    scene.paste(image, (x, y))
    return scene


def side_by_side(*images: Image.Image, gap: int = 80) -> Image.Image:
    """Put several pictures in a row on white, like two books next to each other."""
    width = sum(image.width for image in images) + gap * (len(images) + 1)
    height = max(image.height for image in images) + 2 * gap
    row = Image.new("RGB", (width, height), "white")
    x = gap
    for image in images:
        row.paste(image, (x, gap))
        x += image.width + gap
    return row


def with_exif_orientation(image: Image.Image, orientation: int) -> bytes:
    """Return JPEG bytes whose raw pixels are turned, with the EXIF tag that undoes it.

    A viewer (and ImageOps.exif_transpose) shows the original image upright again,
    the way phones store portrait photos.
    """
    raw = image.transpose(_UPRIGHT_TO_RAW[orientation])
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    out = io.BytesIO()
    raw.convert("RGB").save(out, "JPEG", quality=95, exif=exif)
    return out.getvalue()


def to_bytes(image: Image.Image, fmt: str = "PNG", *, quality: int = 90) -> bytes:
    """Encode a picture as PNG or JPEG bytes, as an upload would carry it."""
    out = io.BytesIO()
    if fmt.upper() in ("JPEG", "JPG"):
        image.convert("RGB").save(out, "JPEG", quality=quality)
    else:
        # Fast, light compression: big noisy PNGs otherwise take seconds to write.
        image.save(out, fmt, compress_level=1)
    return out.getvalue()
