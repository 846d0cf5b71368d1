"""Draw the app icons (PNG, no dependencies): `python tools/make_icons.py` rewrites fieldapp/static/icons/."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

BRAND = (0x0B, 0x3D, 0x6B)
PAPER = (0xFF, 0xFF, 0xFF)
AMBER = (0xFF, 0xBF, 0x47)
OUT = Path(__file__).resolve().parent.parent / "fieldapp" / "static" / "icons"


def _inside_rounded(x, y, left, top, right, bottom, radius):
    if not (left <= x <= right and top <= y <= bottom):
        return False
    cx = min(max(x, left + radius), right - radius)
    cy = min(max(y, top + radius), bottom - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius**2


def _colour_at(u, v, maskable):
    """Colour (r, g, b, a) at unit coordinates; the maskable icon fills the square, the plain one is rounded."""
    if not maskable and not _inside_rounded(u, v, 0, 0, 1, 1, 0.18):
        return (0, 0, 0, 0)
    # Maskable icons must keep their content inside the central safe circle (radius 0.4).
    scale, offset = (0.62, 0.19) if maskable else (0.8, 0.1)
    x, y = (u - offset) / scale, (v - offset) / scale
    if _inside_rounded(x, y, 0.2, 0.1, 0.8, 0.9, 0.06):
        for top in (0.28, 0.42, 0.56):
            if 0.3 <= x <= 0.7 and top <= y <= top + 0.06:
                return (*BRAND, 255)
        if (x - 0.62) ** 2 + (y - 0.76) ** 2 <= 0.09**2:
            return (*AMBER, 255)
        return (*PAPER, 255)
    return (*BRAND, 255)


def draw(size: int, maskable: bool) -> bytes:
    samples = ((0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75))
    rows = []
    for py in range(size):
        row = bytearray([0])  # filter type 0 for this scanline
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sx, sy in samples:
                r, g, b, a = _colour_at((px + sx) / size, (py + sy) / size, maskable)
                acc[0] += r * a
                acc[1] += g * a
                acc[2] += b * a
                acc[3] += a
            alpha = acc[3]
            row += bytes([acc[0] // alpha, acc[1] // alpha, acc[2] // alpha] if alpha else [0, 0, 0])
            row.append(alpha // len(samples))
        rows.append(bytes(row))
    return png(size, size, b"".join(rows))


def png(width: int, height: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        (OUT / f"icon-{size}.png").write_bytes(draw(size, maskable=False))
        (OUT / f"icon-maskable-{size}.png").write_bytes(draw(size, maskable=True))
    print(f"icons written to {OUT}")


if __name__ == "__main__":
    main()
