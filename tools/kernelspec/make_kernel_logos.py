#!/usr/bin/env python3
"""Draws the swift-lstm kernelspec logos (kernelspec/logo-32x32.png, logo-64x64.png, logo-svg.svg).

The design: an orange rounded square with a chain of three white LSTM cells joined by a line, and arcs
between neighbours for the recurrent state. The PNGs are rasterised here (4x4 supersampling, no imaging
library needed) from the same shapes the SVG describes, on a 64-unit canvas.
Run: python3 tools/kernelspec/make_kernel_logos.py  (the outputs are committed; rerun only to change the design).
"""
import math
import pathlib
import struct
import zlib

ORANGE = (240, 81, 56)
WHITE = (255, 255, 255)
CELLS = [(14.0, 38.0), (32.0, 38.0), (50.0, 38.0)]
CELL_RADIUS = 7.0
LINE_Y, LINE_HALF_WIDTH = 38.0, 2.0
ARCS = [(23.0, 38.0), (41.0, 38.0)]  # centres of the upper half-rings between neighbouring cells
ARC_RADIUS, ARC_HALF_WIDTH = 9.0, 1.6
CORNER = 12.0


def inside_background(x, y):
    cx = min(max(x, CORNER), 64 - CORNER)
    cy = min(max(y, CORNER), 64 - CORNER)
    return 0 <= x <= 64 and 0 <= y <= 64 and (x - cx) ** 2 + (y - cy) ** 2 <= CORNER ** 2


def inside_glyph(x, y):
    if any((x - cx) ** 2 + (y - cy) ** 2 <= CELL_RADIUS ** 2 for cx, cy in CELLS):
        return True
    if CELLS[0][0] <= x <= CELLS[-1][0] and abs(y - LINE_Y) <= LINE_HALF_WIDTH:
        return True
    for cx, cy in ARCS:
        if y <= cy and abs(math.hypot(x - cx, y - cy) - ARC_RADIUS) <= ARC_HALF_WIDTH:
            return True
    return False


def render(size, samples=4):
    rows = []
    scale = 64.0 / size
    for py in range(size):
        row = bytearray([0])  # PNG filter type 0 for this scanline
        for px in range(size):
            totals = [0.0, 0.0, 0.0, 0.0]
            for sy in range(samples):
                for sx in range(samples):
                    x = (px + (sx + 0.5) / samples) * scale
                    y = (py + (sy + 0.5) / samples) * scale
                    if not inside_background(x, y):
                        continue
                    colour = WHITE if inside_glyph(x, y) else ORANGE
                    for i in range(3):
                        totals[i] += colour[i]
                    totals[3] += 255
            n = samples * samples
            alpha = totals[3] / n
            rgb = [round(totals[i] / (totals[3] / 255)) if totals[3] else 0 for i in range(3)]
            row += bytes(rgb + [round(alpha)])
        rows.append(bytes(row))
    return rows


def png(size):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    pixels = zlib.compress(b"".join(render(size)), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def svg():
    cells = "".join(f'<circle cx="{x:g}" cy="{y:g}" r="{CELL_RADIUS:g}"/>' for x, y in CELLS)
    arcs = "".join(
        f'<path d="M {cx - ARC_RADIUS:g} {cy:g} A {ARC_RADIUS:g} {ARC_RADIUS:g} 0 0 1 {cx + ARC_RADIUS:g} {cy:g}"/>'
        for cx, cy in ARCS
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">\n'
        f'  <rect width="64" height="64" rx="{CORNER:g}" fill="rgb{ORANGE}"/>\n'
        f'  <rect x="{CELLS[0][0]:g}" y="{LINE_Y - LINE_HALF_WIDTH:g}" width="{CELLS[-1][0] - CELLS[0][0]:g}" '
        f'height="{2 * LINE_HALF_WIDTH:g}" fill="#fff"/>\n'
        f'  <g fill="#fff">{cells}</g>\n'
        f'  <g fill="none" stroke="#fff" stroke-width="{2 * ARC_HALF_WIDTH:g}">{arcs}</g>\n'
        "</svg>\n"
    )


def main():
    out = pathlib.Path(__file__).resolve().parents[2] / "kernelspec"
    out.mkdir(exist_ok=True)
    for size in (32, 64):
        (out / f"logo-{size}x{size}.png").write_bytes(png(size))
    (out / "logo-svg.svg").write_text(svg())
    print(f"wrote logos to {out}")


if __name__ == "__main__":
    main()
