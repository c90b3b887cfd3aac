#!/usr/bin/env python3
"""Generate the benchmark data: N canonical volunteers and 3N service records, all valid.

Usage: bench/generate.py OUT_DIR --volunteers N [--records-per-volunteer 3] [--no-copies] [--seed 1]

Writes into OUT_DIR (each file first under a temporary name, then renamed):
  volunteers.csv            UTF-8, canonical header, LF
  service_records.csv       UTF-8, canonical header, LF
  volunteers-gb18030.csv    the same volunteers encoded as GB18030   (not with --no-copies)
  service_records.xml       the same service records as XML          (not with --no-copies)
  generated.json            row counts, sizes and seconds; written last, marks the data complete

Every row is valid, so that volstat accepts all of them and its figures can be compared with a
plain SQL computation:
- identity numbers: 18 characters, a real county code + birth date + 3-digit sequence (odd for men)
  + ISO 7064 MOD 11-2 check character, all distinct (a bijection of the row index onto
  100,003 x 1,000 identity slots);
- region codes: real county codes from the shared GB/T 2260 table;
- born 1942-01-01 .. 1998-12-31 and registered 2015-01-01 .. 2022-12-31, so aged 16 to 80 at
  registration; about 2 % deregistered; about 3 % without political status;
- service records: record ids unique, volunteer ids existing source ids (skewed: some volunteers
  serve often, about a third never), started on or after the volunteer's registration, about 85 %
  in 2022 and the rest in 2021, same day, ended after started, hours > 0 with at most 2 decimals,
  at most 8 and at most the span; about 92 % verified.
The org ids carry Chinese text, so the GB18030 copy really differs from the UTF-8 file.

Speed: attributes come from precomputed pools (person prefixes with partial check sums, attribute
and registration combinations, times of day, date strings); rows are written in chunks.
"""

import argparse
import csv
import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path

VOLUNTEERS_HEADER = ("source_id,id_number,gender,birth_date,political_status,education,household,"
                     "region_code,registered_at,status,org_id\n")
RECORDS_HEADER = "record_id,volunteer_id,activity_id,org_id,region_code,started_at,ended_at,hours,verified\n"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

PREFIXES = 100_003   # (county, birth date) pairs; prime
SEQUENCES = 1000     # 3-digit sequence numbers
SLOTS = PREFIXES * SEQUENCES
STRIDE = 7_919_993   # coprime with SLOTS: row i -> identity slot (i * STRIDE) mod SLOTS, a bijection
ATTRS = 65_521       # political_status,education,household combinations (prime)
TAILS = 32_749       # registered_at,status,org_id combinations (prime)
TIMES = 4_099        # start time, end time, hours combinations (prime)
CHUNK = 50_000

POLITICAL = [("01", 19), ("02", 3), ("03", 30), ("13", 44), ("04", 1), ("", 3)]
EDUCATION = [("10", 5), ("20", 33), ("30", 25), ("40", 8), ("60", 13), ("70", 10), ("80", 4), ("90", 2)]
ORG_NAMES = ["青年志愿者协会", "社区志愿服务队", "新时代文明实践站", "应急救援志愿队", "助老服务中心",
             "关爱留守儿童服务队", "文明交通劝导队", "环保志愿者协会", "红十字志愿服务队", "大学生志愿者联合会"]
ACTIVITIES = 50_021

BIRTH_FIRST = dt.date(1942, 1, 1).toordinal()
BIRTH_LAST = dt.date(1998, 12, 31).toordinal()
REG_FIRST = dt.date(2015, 1, 1).toordinal()
REG_LAST = dt.date(2022, 12, 31).toordinal()
Y2021 = dt.date(2021, 1, 1).toordinal()
Y2022 = dt.date(2022, 1, 1).toordinal()


def areas_path() -> Path:
    here = Path(__file__).resolve()
    shared = here.parents[2] / "shared/reference/regions/areas.csv"
    return shared if shared.exists() else here.parents[1] / "Sources/VolstatCore/Resources/regions/areas.csv"


def county_codes() -> list:
    with open(areas_path(), encoding="utf-8-sig", newline="") as f:
        return sorted(r["code"] for r in csv.DictReader(f) if not r["code"].endswith("00"))


def weighted(rng, pairs, k):
    values, weights = zip(*pairs)
    return rng.choices(values, weights=weights, k=k)


class Pools:
    def __init__(self, rng: random.Random):
        counties = county_codes()
        self.prefixes = []  # (first 14 id chars, their weighted sum, "," + birth date, county)
        seen = set()
        while len(self.prefixes) < PREFIXES:
            county = rng.choice(counties)
            birth = dt.date.fromordinal(rng.randint(BIRTH_FIRST, BIRTH_LAST))
            head = f"{county}{birth:%Y%m%d}"
            if head in seen:
                continue
            seen.add(head)
            partial = sum(int(c) * w for c, w in zip(head, ID_WEIGHTS))
            self.prefixes.append((head, partial, f",{birth.isoformat()}", county))
        self.sequences = []  # (3 digits, weighted sum, gender)
        for seq in range(SEQUENCES):
            digits = f"{seq:03d}"
            self.sequences.append((digits, sum(int(c) * w for c, w in zip(digits, ID_WEIGHTS[14:])),
                                   "M" if seq % 2 else "F"))
        self.attrs = [f"{p},{e},{'rural' if rng.random() < 0.15 else 'urban'}"
                      for p, e in zip(weighted(rng, POLITICAL, ATTRS), weighted(rng, EDUCATION, ATTRS))]
        self.tails = []      # "registered_at,status,org_id"
        self.tail_reg = []   # registered_at as an ordinal
        for _ in range(TAILS):
            # Registrations grow over the years: weight later days more (sqrt of a uniform).
            day = REG_FIRST + int((REG_LAST - REG_FIRST + 1) * rng.random() ** 0.6)
            day = min(day, REG_LAST)
            status = "deregistered" if rng.random() < 0.02 else "active"
            org = f"{rng.choice(ORG_NAMES)}{rng.randint(1, 9999):04d}"
            self.tails.append(f"{dt.date.fromordinal(day).isoformat()},{status},{org}")
            self.tail_reg.append(day)
        # Date strings from the first registration day to the end of 2022.
        self.dates = [dt.date.fromordinal(d).isoformat() for d in range(REG_FIRST, REG_LAST + 1)]
        self.times = []  # (" HH:MM:SS" start, " HH:MM:SS" end, hours)
        for _ in range(TIMES):
            start = rng.randrange(7 * 60, 19 * 60, 15)
            span = rng.randrange(30, 9 * 60 + 1, 15)
            span = min(span, 23 * 60 + 45 - start)
            most = min(span * 100 // 60, 800)
            hundredths = rng.randint(max(1, most - 75), most)
            if rng.random() < 0.3:  # quarter hours: 2.25, 2.5, 3 ...
                hundredths = max(25, hundredths - hundredths % 25)
            hours = f"{hundredths // 100}.{hundredths % 100:02d}"
            if hundredths % 100 == 0 and rng.random() < 0.5:
                hours = str(hundredths // 100)
            elif hundredths % 10 == 0 and rng.random() < 0.5:
                hours = f"{hundredths // 100}.{hundredths % 100 // 10}"
            end = start + span
            self.times.append((f" {start // 60:02d}:{start % 60:02d}:00", f" {end // 60:02d}:{end % 60:02d}:00",
                               hours))
        self.orgs = [f"{ORG_NAMES[k % len(ORG_NAMES)]}{k:04d}" for k in range(1, 10_000)]

    def county_of(self, i: int) -> str:
        return self.prefixes[(i * STRIDE) % SLOTS % PREFIXES][3]


def volunteer_lines(start: int, stop: int, p: Pools) -> list:
    prefixes, sequences, attrs, tails = p.prefixes, p.sequences, p.attrs, p.tails
    out = []
    append = out.append
    for i in range(start, stop):
        slot = (i * STRIDE) % SLOTS
        head, partial, birth, county = prefixes[slot % PREFIXES]
        digits, seq_sum, gender = sequences[slot // PREFIXES]
        append(f"V{i + 1:010d},{head}{digits}{ID_CHECK[(partial + seq_sum) % 11]},{gender}{birth},"
               f"{attrs[i % ATTRS]},{county},{tails[i % TAILS]}\n")
    return out


def record_chunk(start: int, stop: int, n: int, p: Pools, rng: random.Random, xml: bool):
    """Records start..stop-1 as CSV lines and (when xml) XML elements, from the same values."""
    prefixes, tail_reg, dates, times, orgs = p.prefixes, p.tail_reg, p.dates, p.times, p.orgs
    rand = rng.random
    csv_out, xml_out = [], []
    add_csv, add_xml = csv_out.append, xml_out.append
    for j in range(start, stop):
        r = rand()
        v = int(n * r * r * r)          # skewed: low indices serve often, about a third never
        reg = tail_reg[v % TAILS]
        r = rand()
        if r < 0.85:
            day = Y2022 + int(r / 0.85 * 365)
        else:
            day = Y2021 + int((r - 0.85) / 0.15 * 365)
        if day < reg:
            day = reg + int(rand() * (REG_LAST - reg + 1))
        date = dates[day - REG_FIRST]
        t0, t1, hours = times[j % TIMES]
        verified = "1" if rand() < 0.92 else "0"
        rid = f"R{j + 1:011d}"
        vid = f"V{v + 1:010d}"
        act = f"A{j % ACTIVITIES:06d}"
        org = orgs[v % 9999]
        county = prefixes[(v * STRIDE) % SLOTS % PREFIXES][3]
        add_csv(f"{rid},{vid},{act},{org},{county},{date}{t0},{date}{t1},{hours},{verified}\n")
        if xml:
            add_xml(f'  <record id="{rid}" verified="{verified}">\n'
                    f"    <volunteer>{vid}</volunteer>\n    <activity>{act}</activity>\n"
                    f"    <org>{org}</org>\n    <region>{county}</region>\n"
                    f"    <start>{date}{t0}</start>\n    <end>{date}{t1}</end>\n"
                    f"    <hours>{hours}</hours>\n  </record>\n")
    return csv_out, xml_out


def progress(what: str, done: int, total: int, started: float) -> None:
    if sys.stderr.isatty():
        print(f"\r  {what}: {done:,} / {total:,} rows  {time.monotonic() - started:.0f} s",
              end="", file=sys.stderr, flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description="Generate the volstat benchmark data.")
    ap.add_argument("out", type=Path)
    ap.add_argument("--volunteers", type=int, required=True)
    ap.add_argument("--records-per-volunteer", type=int, default=3)
    ap.add_argument("--no-copies", action="store_true", help="skip the GB18030 and XML copies")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    n = args.volunteers
    if not 1 <= n <= 50_000_000:
        ap.error("--volunteers must be between 1 and 50,000,000")
    m = n * args.records_per_volunteer
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    marker = out / "generated.json"
    if marker.exists():
        marker.unlink()
    started = time.monotonic()
    rng = random.Random(args.seed)
    pools = Pools(rng)

    tmp = lambda name: out / f".{name}.tmp"  # noqa: E731
    copies = not args.no_copies
    # Volunteers: UTF-8, and the same text as GB18030.
    with open(tmp("volunteers.csv"), "wb") as f8, \
            (open(tmp("volunteers-gb18030.csv"), "wb") if copies else open(os.devnull, "wb")) as fgb:
        f8.write(VOLUNTEERS_HEADER.encode())
        fgb.write(VOLUNTEERS_HEADER.encode("gb18030"))
        for s in range(0, n, CHUNK):
            text = "".join(volunteer_lines(s, min(n, s + CHUNK), pools))
            f8.write(text.encode("utf-8"))
            if copies:
                fgb.write(text.encode("gb18030"))
            progress("volunteers", min(n, s + CHUNK), n, started)
    # Service records: CSV and, from the same values, XML.
    with open(tmp("service_records.csv"), "wb") as fc, \
            (open(tmp("service_records.xml"), "wb") if copies else open(os.devnull, "wb")) as fx:
        fc.write(RECORDS_HEADER.encode())
        fx.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<export platform="volstat-bench">\n')
        rec_rng = random.Random(args.seed * 7919 + 1)
        for s in range(0, m, CHUNK):
            lines, elements = record_chunk(s, min(m, s + CHUNK), n, pools, rec_rng, copies)
            fc.write("".join(lines).encode("utf-8"))
            if copies:
                fx.write("".join(elements).encode("utf-8"))
            progress("service records", min(m, s + CHUNK), m, started)
        fx.write(b"</export>\n")
    if sys.stderr.isatty():
        print(file=sys.stderr)
    files = ["volunteers.csv", "service_records.csv"] + (
        ["volunteers-gb18030.csv", "service_records.xml"] if copies else [])
    for name in files:
        os.replace(tmp(name), out / name)
    elapsed = time.monotonic() - started
    info = {"volunteers": n, "service_records": m, "seed": args.seed, "seconds": round(elapsed, 1),
            "bytes": {name: (out / name).stat().st_size for name in files}}
    marker.write_text(json.dumps(info, indent=2) + "\n")
    print(f"generated {n:,} volunteers and {m:,} service records in {out} in {elapsed:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
