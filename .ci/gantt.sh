#!/usr/bin/env bash
# The Gantt chart renders: write the SVG of a schedule of a vendored instance, check that it is
# well-formed XML, render it with librsvg (rsvg-convert) to PNG, and check the PNG: the size the
# SVG declares, and each of the chart's colours (task bars, critical path fill and outline,
# communication-wait hatching) present on enough pixels, so a chart that renders blank, or
# without one of its marks, fails.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v rsvg-convert >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq librsvg2-bin || { apt-get update -qq && apt-get install -y -qq librsvg2-bin; }
  else
    sudo -n apt-get install -y -qq librsvg2-bin ||
      { sudo -n apt-get update -qq && sudo -n apt-get install -y -qq librsvg2-bin; }
  fi
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# The chart of the HEFT schedule, drawn by the solve example (kind dag, --gantt).
cargo run --release --locked --example solve -- --algorithm heft --gantt "$out/chart.svg" \
  tests/testdata/dag/topcuoglu-related.json >/dev/null
rsvg-convert --version
rsvg-convert -f png -o "$out/chart.png" "$out/chart.svg"

python3 - "$out/chart.svg" "$out/chart.png" <<'EOF'
import struct, sys, zlib
import xml.etree.ElementTree as ET

svg_path, png_path = sys.argv[1], sys.argv[2]
NS = "{http://www.w3.org/2000/svg}"
root = ET.parse(svg_path).getroot()
assert root.tag == NS + "svg", root.tag
want_w, want_h = int(float(root.get("width"))), int(float(root.get("height")))
groups = [g for g in root.iter(NS + "g") if g.get("class", "").split()[:1] == ["task"]]
crit = [g for g in groups if "critical" in g.get("class").split()]
waits = [r for r in root.iter(NS + "rect") if r.get("class") == "wait"]
assert len(groups) == 10 and crit and waits, (len(groups), len(crit), len(waits))

def read_png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    w, h, depth, ctype, _, _, interlace = ihdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0, ihdr
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        rows.append(bytes(line))
        prev = line
    counts = {}
    for line in rows:
        for x in range(0, stride, bpp):
            px = tuple(line[x:x + 3])
            counts[px] = counts.get(px, 0) + 1
    return w, h, counts

w, h, counts = read_png(png_path)
assert (w, h) == (want_w, want_h), f"PNG is {w}x{h}, the SVG says {want_w}x{want_h}"
hexrgb = lambda s: tuple(int(s[k:k + 2], 16) for k in (1, 3, 5))
need = {"task bar": ("#8fb3d9", 500), "critical bar": ("#f6b26b", 500),
        "critical outline": ("#c00000", 100), "wait hatching": ("#fff1c1", 100)}
for what, (colour, least) in need.items():
    got = counts.get(hexrgb(colour), 0)
    assert got >= least, f"{what} ({colour}): {got} pixels, want >= {least}"
assert len(counts) >= 20, f"only {len(counts)} distinct colours"
white = counts.get((255, 255, 255), 0)
assert white < 0.9 * w * h, "mostly blank"
print(f"gantt renders: {w}x{h} PNG, {len(counts)} colours, "
      + ", ".join(f"{k} {counts.get(hexrgb(c), 0)} px" for k, (c, _) in need.items()))
EOF
