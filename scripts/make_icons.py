"""Draw the PNG and ICO icons from the shapes of static/favicon.svg.

Run once after changing the favicon: ``.venv/bin/python scripts/make_icons.py``.
The outputs are committed under static/ (the app never runs this).
"""

import math
from pathlib import Path

from PIL import Image, ImageDraw

STATIC = Path(__file__).resolve().parent.parent / "static"
SUPERSAMPLE = 4
# (x, y, width, height, colour, degrees about the spine's centre) in a 64x64 box,
# as in favicon.svg; the red spine leans on the others.
SPINES = [
    (8, 10, 14, 44, "#0d6efd", 0),
    (25, 14, 12, 40, "#198754", 0),
    (40, 8, 16, 46, "#dc3545", 8),
]


def spine_polygon(x, y, w, h, degrees, scale, offset):
    """The corners of one spine, rotated about its centre, in pixels."""
    cx, cy = x + w / 2, y + h / 2
    angle = math.radians(degrees)
    corners = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
    return [
        (
            offset
            + scale * (cx + (px - cx) * math.cos(angle) - (py - cy) * math.sin(angle)),
            offset
            + scale * (cy + (px - cx) * math.sin(angle) + (py - cy) * math.cos(angle)),
        )
        for px, py in corners
    ]


def draw_icon(size: int, *, background: str | None, padding: float) -> Image.Image:
    """The spines at ``size`` pixels; ``padding`` is the share left around them."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if background:
        draw.rounded_rectangle(
            (0, 0, big - 1, big - 1), radius=big // 6, fill=background
        )
    inner = big * (1 - 2 * padding)
    scale, offset = inner / 64, big * padding
    for x, y, w, h, colour, degrees in SPINES:
        draw.polygon(spine_polygon(x, y, w, h, degrees, scale, offset), fill=colour)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    """Write favicon.ico, the touch icon and the web-app manifest's icons."""
    (STATIC / "icons").mkdir(exist_ok=True)
    draw_icon(48, background=None, padding=0.0).save(
        STATIC / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)]
    )
    for size in (192, 512):
        draw_icon(size, background="#ffffff", padding=0.12).save(
            STATIC / "icons" / f"icon-{size}.png", optimize=True
        )
    touch = draw_icon(180, background="#ffffff", padding=0.12)
    opaque = Image.new("RGB", touch.size, "#ffffff")
    opaque.paste(touch, mask=touch)
    opaque.save(STATIC / "icons" / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
