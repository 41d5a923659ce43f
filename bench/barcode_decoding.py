"""Benchmark: how many photo-like ISBN barcodes each decoder reads, and how fast.

    .venv/bin/python bench/barcode_decoding.py [--count 300] [--seed 1]

Generates a seeded set of EAN-13 ISBN barcodes made to look photographed (small,
tilted, turned, blurred, JPEG-compressed, dull, in a busy scene, with price
add-ons) and decodes each with zxing-cpp alone, pyzbar alone and the chain of
both, each from the upload's bytes through every pass. "one pass" rows run the
decoder once on the first (working size) image, to show what the passes buy.
Prints the decode rate, mean and p95 milliseconds per image, and which kinds of
photo each one misses. Exits non-zero if the chain reads fewer than the better
decoder alone.
"""

import argparse
import math
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "booklibrary.settings.test")

import django

django.setup()

from django.conf import settings  # noqa: E402

from catalog.barcodes import (  # noqa: E402
    Decoder,
    PyzbarDecoder,
    ZxingCppDecoder,
    decode_isbns,
)
from catalog.barcodes import images as barcode_images  # noqa: E402
from catalog.barcodes.codes import classify  # noqa: E402
from tests.barcode_images import ean13_full, ean13_image, photo_like, to_bytes  # noqa: E402


@dataclass
class Case:
    """One generated photo, the ISBN it shows and what makes it hard."""

    isbn: str
    data: bytes
    tags: tuple[str, ...]


def random_isbn(rng: random.Random) -> str:
    """A valid ISBN-13 with a 978 or 979 prefix."""
    prefix = rng.choice(["978", "978", "978", "979"])
    return ean13_full(prefix + "".join(rng.choices("0123456789", k=9)))


def _angle(rng: random.Random) -> tuple[float, str | None]:
    roll = rng.random()
    if roll < 0.6:
        angle = rng.uniform(-12, 12)
        return angle, "tilted" if abs(angle) > 5 else None
    if roll < 0.85:
        return rng.choice([90, 180, 270]) + rng.uniform(-8, 8), "turned"
    return rng.uniform(0, 360), "any angle"


def make_case(rng: random.Random) -> Case:
    """Draw one photo-like barcode of random difficulty."""
    isbn = random_isbn(rng)
    tags: list[str] = []
    addon = None
    if rng.random() < 0.2:
        addon = "".join(rng.choices("0123456789", k=5))
        tags.append("add-on")
    clean = ean13_image(isbn, addon=addon, text=rng.random() < 0.8)
    # Clean bars are 3 px per module; photos range from 1.2 px (far away) to 7.
    scale = math.exp(rng.uniform(math.log(0.4), math.log(2.3)))
    if scale < 0.6:
        tags.append("small")
    angle, angle_tag = _angle(rng)
    if angle_tag:
        tags.append(angle_tag)
    # Blur is measured in bar widths (3 px before scaling), as a lens sees it.
    blur_modules = rng.choice([0, 0, 0, 0.15, 0.3, 0.5])
    blur = blur_modules * 3 * scale
    if blur_modules >= 0.3:
        tags.append("blurred")
    contrast = rng.choice([1.0, 1.0, 1.0, 0.6, 0.35, 0.2])
    if contrast < 0.5:
        tags.append("low contrast")
    quality = rng.choice([None, None, 85, 60, 35, 20])
    if quality is not None and quality < 40:
        tags.append("jpeg")
    canvas = None
    if rng.random() < 0.5:
        side = rng.choice([1200, 2000, 3000])
        canvas = (side, side * 3 // 4)
        tags.append("in scene")
    image = photo_like(
        clean,
        scale=scale,
        angle=angle,
        blur=blur,
        jpeg_quality=quality,
        contrast=contrast,
        brightness=rng.uniform(0.6, 1.1),
        canvas=canvas,
        position=(rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8)),
        seed=rng.randrange(1 << 30),
    )
    data = (
        to_bytes(image, "JPEG", quality=92) if rng.random() < 0.5 else to_bytes(image)
    )
    return Case(isbn=isbn, data=data, tags=tuple(tags) or ("easy",))


def one_pass(decoder: Decoder) -> Callable[[bytes], list[str]]:
    """Decode only the first, working-size version of the photo."""

    def run(data: bytes) -> list[str]:
        photo = barcode_images.open_grayscale(data, barcode_images.DEFAULT_MAX_PIXELS)
        _label, first = next(barcode_images.passes(photo))
        return [isbn for text in decoder.decode(first) if (isbn := classify(text)[0])]

    return run


def all_passes(decoders: list[Decoder]) -> Callable[[bytes], list[str]]:
    """Decode through decode_isbns with the given decoders."""
    return lambda data: decode_isbns(data, decoders=decoders).isbns


@dataclass
class Row:
    """A contender's figures over all cases."""

    name: str
    found: int
    wrong: int
    times: list[float]
    misses: Counter

    def p95(self) -> float:
        """The 95th percentile of the milliseconds per image."""
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def measure(name: str, run: Callable[[bytes], list[str]], cases: list[Case]) -> Row:
    """Decode every case, timing each and counting right, wrong and missed."""
    row = Row(name=name, found=0, wrong=0, times=[], misses=Counter())
    for case in cases:
        start = time.perf_counter()
        isbns = run(case.data)
        row.times.append((time.perf_counter() - start) * 1000)
        if case.isbn in isbns:
            row.found += 1
        else:
            row.misses.update(case.tags)
        row.wrong += sum(1 for isbn in isbns if isbn != case.isbn)
    return row


def print_table(rows: list[Row], cases: list[Case]) -> None:
    """Print the rates and times, then misses by kind of photo."""
    total = len(cases)
    header = f"{'decoded':>14}{'rate':>8}{'wrong':>7}{'mean ms':>9}{'p95 ms':>8}"
    print(f"{'decoder':<22}{header}")
    for row in rows:
        print(
            f"{row.name:<22}{f'{row.found}/{total}':>14}{row.found / total:>8.1%}"
            f"{row.wrong:>7}{statistics.fmean(row.times):>9.1f}{row.p95():>8.1f}"
        )
    tags = Counter(tag for case in cases for tag in case.tags)
    print("\nmissed, by kind of photo (a photo can be of several kinds):")
    print(f"{'kind':<14}{'photos':>7}" + "".join(f"{row.name:>22}" for row in rows))
    for tag, count in tags.most_common():
        cells = "".join(f"{row.misses[tag]:>22}" for row in rows)
        print(f"{tag:<14}{count:>7}{cells}")


def main() -> int:
    """Generate the photos, measure every contender, print, and check the chain."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="photos to generate")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    start = time.perf_counter()
    cases = [make_case(rng) for _ in range(args.count)]
    print(
        f"{len(cases)} photos generated in {time.perf_counter() - start:.1f} s "
        f"(seed {args.seed}); decoders from {settings.BARCODE_DECODERS}\n"
    )
    zxing, zbar = ZxingCppDecoder(), PyzbarDecoder()
    missing = [d.name for d in (zxing, zbar) if not d.available()]
    if missing:
        print(f"Not installed: {', '.join(missing)}; both are needed to compare.")
        return 2
    rows = [
        measure("zxing-cpp, one pass", one_pass(zxing), cases),
        measure("pyzbar, one pass", one_pass(zbar), cases),
        measure("zxing-cpp alone", all_passes([zxing]), cases),
        measure("pyzbar alone", all_passes([zbar]), cases),
        measure("chain", all_passes([zxing, zbar]), cases),
    ]
    print_table(rows, cases)
    chain, best_alone = rows[-1], max(rows[2].found, rows[3].found)
    if chain.found < best_alone:
        print(f"\nFAIL: the chain read {chain.found}, one decoder alone {best_alone}.")
        return 1
    print(f"\nOK: the chain read {chain.found}, the better decoder alone {best_alone}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
