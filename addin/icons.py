"""The add-in's icons, drawn in pure Python and written as PNG files (no Pillow needed).

Office shows the icons named in the manifest on the ribbon (16, 32 and 80 px), in the add-in
dialogs (32 and 64 px) and in catalogs (128 px). They are drawn here, a white sparkle on a
rounded square in the brand's blue-to-violet gradient, so that they can be re-made at any size
with ``python -m addin.icons`` and so that a test can check that the committed files in
``addin/static/assets/`` are exactly what this module draws (pixels compared, not bytes: zlib
builds may compress the same pixels differently).

Only ``sqrt`` and plain arithmetic are used, both correctly rounded in IEEE 754, so the
pixels are the same on every platform.
"""

from __future__ import annotations

import argparse
import math
import struct
import sys
import zlib
from pathlib import Path

SIZES = (16, 32, 64, 80, 128)
ASSETS = Path(__file__).resolve().parent / "static" / "assets"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_SUPERSAMPLE = 4  # 4x4 samples per pixel: smooth edges even at 16 px
_TOP_LEFT = (0x3B, 0x6F, 0xF0)  # brand gradient, top-left corner...
_BOTTOM_RIGHT = (0x8B, 0x4F, 0xE0)  # ...to bottom-right corner
_WHITE = (0xFF, 0xFF, 0xFF)


def _in_rounded_square(x: float, y: float, size: float) -> bool:
    """Is (x, y) inside the icon's rounded square (a margin of 1/32, corners of 22%)?"""
    margin = size / 32
    radius = size * 0.22
    low, high = margin, size - margin
    if not (low <= x <= high and low <= y <= high):
        return False
    cx = min(max(x, low + radius), high - radius)
    cy = min(max(y, low + radius), high - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius


def _in_sparkle(x: float, y: float, cx: float, cy: float, radius: float) -> bool:
    """Is (x, y) inside a four-pointed sparkle: sqrt|dx| + sqrt|dy| <= sqrt(radius)?"""
    return math.sqrt(abs(x - cx)) + math.sqrt(abs(y - cy)) <= math.sqrt(radius)


def _in_any_sparkle(x: float, y: float, size: int) -> bool:
    if _in_sparkle(x, y, size * 0.45, size * 0.55, size * 0.34):
        return True
    # The small companion sparkle would be a smudge on the 16 px ribbon icon.
    return size >= 32 and _in_sparkle(x, y, size * 0.74, size * 0.27, size * 0.13)


def _gradient(px: int, py: int, size: int) -> tuple[int, int, int]:
    t = (px + py) / max(1, 2 * (size - 1))
    return tuple(  # type: ignore[return-value]
        int(a + (b - a) * t + 0.5) for a, b in zip(_TOP_LEFT, _BOTTOM_RIGHT, strict=True)
    )


def render_icon(size: int) -> bytes:
    """The icon at ``size`` x ``size`` pixels, as straight (not premultiplied) RGBA rows."""
    if not 8 <= size <= 1024:
        raise ValueError(f"icon size {size} is outside 8..1024")
    n = _SUPERSAMPLE
    samples = n * n
    offsets = [(i + 0.5) / n for i in range(n)]
    out = bytearray()
    for py in range(size):
        for px in range(size):
            background = _gradient(px, py, size)
            covered = white = 0
            for oy in offsets:
                for ox in offsets:
                    x, y = px + ox, py + oy
                    if not _in_rounded_square(x, y, size):
                        continue
                    covered += 1
                    if _in_any_sparkle(x, y, size):
                        white += 1
            if not covered:
                out += b"\0\0\0\0"
                continue
            tinted = covered - white
            for channel in range(3):
                total = background[channel] * tinted + _WHITE[channel] * white
                out.append((2 * total + covered) // (2 * covered))  # rounded mean
            out.append((2 * 255 * covered + samples) // (2 * samples))
    return bytes(out)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(width: int, height: int, rgba: bytes) -> bytes:
    """A PNG file (8-bit RGBA, no filtering, no interlace) of ``rgba`` rows."""
    stride = width * 4
    if len(rgba) != stride * height:
        raise ValueError(f"{len(rgba)} bytes of pixels for a {width}x{height} RGBA image")
    raw = b"".join(b"\0" + rgba[row * stride:(row + 1) * stride] for row in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 9))
            + _chunk(b"IEND", b""))


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's header, or None when ``data`` is not a PNG."""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode_png(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, RGBA rows) of an 8-bit RGBA, non-interlaced PNG: what tests need to
    compare a committed icon with :func:`render_icon`. Other PNG kinds raise ValueError."""
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG file")
    pos, idat, header = len(PNG_SIGNATURE), bytearray(), b""
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    if len(header) != 13:
        raise ValueError("PNG without a header")
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if (depth, colour, interlace) != (8, 6, 0):
        raise ValueError("only 8-bit RGBA, non-interlaced PNGs are decoded here")
    raw, stride = zlib.decompress(bytes(idat)), width * 4
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - 4] if i >= 4 else 0
            up, corner = previous[i], (previous[i - 4] if i >= 4 else 0)
            predictor = (0, left, up, (left + up) // 2, _paeth(left, up, corner))[kind]
            line[i] = (line[i] + predictor) & 0xFF
        rows.append(line)
        previous = line
    return width, height, b"".join(rows)


def icon_png(size: int) -> bytes:
    """The PNG file for the icon at ``size`` px."""
    return encode_png(size, size, render_icon(size))


def write_icons(folder: Path = ASSETS, sizes: tuple[int, ...] = SIZES) -> list[Path]:
    """Write ``icon-<size>.png`` for each size into ``folder``; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for size in sizes:
        path = folder / f"icon-{size}.png"
        path.write_bytes(icon_png(size))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m addin.icons", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--out", type=Path, default=ASSETS, help=f"folder (default {ASSETS})")
    args = parser.parse_args(argv)
    for path in write_icons(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
