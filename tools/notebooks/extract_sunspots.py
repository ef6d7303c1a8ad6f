#!/usr/bin/env python3
"""Writes notebooks/data/sunspots-yearly.csv: yearly sunspot numbers 1700-2008, public domain.

The series is the one statsmodels ships as `statsmodels.datasets.sunspots` (from NOAA's National
Geophysical Data Center; statsmodels states "This data is public domain."). The script reads it from an
installed statsmodels or from a statsmodels wheel, without importing statsmodels (so neither pandas nor
scipy is needed):

    pip download statsmodels==0.15.0 --no-deps -d /tmp/sm
    python tools/notebooks/extract_sunspots.py /tmp/sm/statsmodels-0.15.0-*.whl
    python tools/notebooks/extract_sunspots.py            # from the statsmodels installed in this Python

The output has the header `year,sunspots` and one row per year, values as statsmodels has them.
"""
import csv
import importlib.util
import io
import sys
import zipfile
from pathlib import Path

MEMBER = "statsmodels/datasets/sunspots/sunspots.csv"
OUT = Path(__file__).resolve().parents[1] / "notebooks" / "data" / "sunspots-yearly.csv"


def read_source(argv):
    if len(argv) > 1:
        with zipfile.ZipFile(argv[1]) as wheel:
            return wheel.read(MEMBER).decode("utf-8")
    spec = importlib.util.find_spec("statsmodels")
    if spec is None or spec.origin is None:
        sys.exit("statsmodels is not installed: pass the path of a statsmodels wheel")
    return (Path(spec.origin).parent / "datasets" / "sunspots" / "sunspots.csv").read_text(encoding="utf-8")


def main(argv):
    rows = list(csv.DictReader(io.StringIO(read_source(argv))))
    years = [int(float(r["YEAR"])) for r in rows]
    assert years == list(range(years[0], years[0] + len(years))), "the years are not consecutive"
    with OUT.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["year", "sunspots"])
        for year, row in zip(years, rows):
            writer.writerow([year, row["SUNACTIVITY"]])
    print(f"wrote {OUT} ({len(rows)} years, {years[0]}-{years[-1]})")


if __name__ == "__main__":
    main(sys.argv)
