#!/usr/bin/env python3
"""Independent reference implementation of volstat's tables.

End-to-end tests run this next to the Swift pipeline and compare the outputs. It is written
from the definitions (docs / DESIGN.md "Statistics"), deliberately shares no code with the Swift
side, and favours obviousness over speed: plain dicts and sets, exact arithmetic with
int / Fraction / Decimal only (never float).

Usage:
  python3 Tests/Reference/reference_stats.py PIPELINE.yaml [--as-of YYYY-MM-DD] [--regions DIR]
          [--table by_region|group_shares|retention_by_cohort|placements_by_province|
                   programme_checks|orders_by_region]
  python3 Tests/Reference/reference_stats.py --self-test

Prints one table (default by_region) as CSV (UTF-8, LF, no BOM, header row, fields quoted only
when they hold a comma, quote or newline) on stdout; warnings about skipped rows go to stderr.
Relative paths in the pipeline file resolve against the current directory.

Supported pipeline subset: `sources` with dataset volunteers / service_records / placements /
orders, format csv (encoding utf-8 | gb18030 | auto, delimiter, columns, values; `.gz` inputs)
or xml (record, fields with "@attr", "child", "a/b", "a/@attr"; the XML declaration decides the
encoding), and `population` (CSV region_code,population). Other keys are ignored.

Definitions implemented (period = Jan 1 of as_of's year .. as_of, inclusive):
  person            normalised id_number (strip, upper-case); attributes from the person's
                    first volunteers row in input order (sources in file order, glob matches
                    sorted, rows in file order)
  counting row      registered_at <= as_of and status != "deregistered" (missing = active)
  registered(g)     distinct persons with a counting row in region g (roll-up of region_code)
  new_registrations distinct persons with a counting row in g registered within the period
  party_members     registered persons whose political_status is 01 or 02;
                    political_status_unknown: registered persons with no political_status;
                    party_member_share = party_members / (registered - unknown)
  total_hours(g)    verified hours of records started in the period whose volunteer_id is the
                    source_id of a volunteers row (first such row), in that row's region
  active(g)         distinct persons with at least one such record in g
  hours_per_capita = total_hours / registered; activity_rate = active / registered;
  registered_share_of_population = registered / population(g) (exact code match)

group_shares (the regions of by_region, in its order), over the persons of registered(g), with
each person's attributes from their first row:
  elderly           age >= 60 on as_of in whole years; birth date from birth_date when it
                    parses, else digits 7-14 of an 18-character id_number; share over persons
                    with a known birth date
  rural / bachelor_or_above / league_members
                    household rural / education 10 or 20 / political_status 03, each as a share
                    of the persons with a non-empty value
retention_by_cohort (national): persons = those with a counting row (any region); cohort = year
  of their earliest counting row; active in year t = a verified service record started in t,
  on or before as_of, linked through any of the person's rows (counting or not); only years
  >= 2000 count as active years. `cohort` rows for each cohort Y and t = Y .. as_of's year;
  `period` rows for t = smallest cohort + 1 .. as_of's year when someone was active in t-1:
  base = active in t-1, active = active in both.
placements_by_province: service unit = PP0000 of service_region_code (6590xx: 660000
  新疆生产建设兵团); counted in (unit, all), (unit, programme) and the same for 000000; admitted =
  stage admitted/serving/ended; party = political_status 01/02 over a known status; bachelor
  share = degree 10/20 among admitted over admitted with a known degree; ended = stage ended with
  end_date (date part) <= as_of; stayed_local among ended. Counts are of placements.
programme_checks: per service unit with serving placements, four rules (township_or_below posts
  >= 0.90, rural_education >= 0.25, youth_work <= 0.10, excellent ratings <= 0.20); `passed`
  compares the exact share, not the rounded one.
orders_by_region: orders whose requested_at date is in the period, rolled up from region_code
  (national only without one); completed = completed_at present; closed loop = dispatched_at,
  accepted_at, completed_at and rated_at present; reviewed / answered within 1 h =
  reviewed_at / accepted_at - requested_at <= 3600 s (absent = not within). Counts are of orders.

Rows that cannot be used at all (missing source_id / id_number / registered_at, a region_code
that is not 6 digits, an unparseable date; records without volunteer_id, with bad hours,
started_at or verified; placements without a 6-digit service_region_code; orders with an
unparseable requested_at or a region_code that is not 6 digits) are skipped and counted on
stderr. Records of unknown volunteers are ignored. Identity numbers are not checked beyond
normalisation.
"""

import argparse
import codecs
import csv
import datetime as dt
import glob
import gzip
import io
import os
import re
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import yaml

HEADER = ("region_code,region_name,level,registered,new_registrations,party_members,"
          "party_member_share,political_status_unknown,total_hours,hours_per_capita,active,"
          "activity_rate,registered_share_of_population")

VOLUNTEER_FIELDS = ("source_id", "id_number", "gender", "birth_date", "political_status",
                    "education", "household", "region_code", "registered_at", "status", "org_id")
SERVICE_FIELDS = ("record_id", "volunteer_id", "activity_id", "org_id", "region_code",
                  "started_at", "ended_at", "hours", "verified")
PLACEMENT_FIELDS = ("placement_id", "volunteer_id", "programme_year", "stage",
                    "recruiting_province", "service_region_code", "special_programme", "post_level",
                    "start_date", "end_date", "outcome", "degree", "political_status", "rating")
ORDER_FIELDS = ("order_id", "service_type", "requested_at", "reviewed_at", "dispatched_at",
                "accepted_at", "completed_at", "rated_at", "rating", "volunteer_id", "region_code")
DATASET_FIELDS = {"volunteers": VOLUNTEER_FIELDS, "service_records": SERVICE_FIELDS,
                  "placements": PLACEMENT_FIELDS, "orders": ORDER_FIELDS}

PARTY_CODES = {"01", "02"}
LEAGUE_CODE = "03"
BACHELOR_OR_ABOVE = {"10", "20"}
ADMITTED_STAGES = {"admitted", "serving", "ended"}
PROGRAMMES = ("rural_education", "rural_construction", "rural_health", "youth_work",
              "rural_governance", "serve_xinjiang", "serve_tibet")
# (rule, placement field, value counted, comparison, threshold) over serving placements
PROGRAMME_RULES = (
    ("township_or_below_posts", "post_level", "township_or_below", ">=", "0.90"),
    ("rural_education", "special_programme", "rural_education", ">=", "0.25"),
    ("youth_work", "special_programme", "youth_work", "<=", "0.10"),
    ("excellent_ratings", "rating", "excellent", "<=", "0.20"),
)
ORDER_STAMPS = ("reviewed_at", "dispatched_at", "accepted_at", "completed_at", "rated_at")
FIRST_ACTIVE_YEAR = 2000   # service years before this do not count as active years (retention)
TRUE_WORDS = {"1", "true", "是", "yes"}
FALSE_WORDS = {"0", "false", "否", "no"}

DATE_RE = re.compile(
    r"(?:(?P<y1>\d{4})-(?P<m1>\d{2})-(?P<d1>\d{2})"
    r"|(?P<y2>\d{4})/(?P<m2>\d{1,2})/(?P<d2>\d{1,2})"
    r"|(?P<y3>\d{4})年(?P<m3>\d{1,2})月(?P<d3>\d{1,2})日)"
    r"(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?")
HOURS_RE = re.compile(r"\d+(?:\.\d*)?|\.\d+")
REGION_RE = re.compile(r"\d{6}")


class ConfigError(Exception):
    """A problem with the pipeline file or its inputs (exit code 2)."""


def default_regions_dir() -> Path:
    here = Path(__file__).resolve()
    shared = here.parents[3] / "shared/reference/regions"
    return shared if shared.is_dir() else here.parents[2] / "Sources/VolstatCore/Resources/regions"


# ---------------------------------------------------------------------------- parsing values

def parse_date(text: str):
    """Date part of `YYYY-MM-DD`, `YYYY/M/D` or `YYYY年M月D日` with an optional time; else None."""
    m = DATE_RE.fullmatch(text)
    if not m:
        return None
    g = m.groupdict()
    y, mo, d = next((g[f"y{i}"], g[f"m{i}"], g[f"d{i}"]) for i in (1, 2, 3) if g[f"y{i}"])
    if g["H"] is not None and (int(g["H"]) > 23 or int(g["M"]) > 59 or int(g["S"] or 0) > 59):
        return None
    try:
        return dt.date(int(y), int(mo), int(d))
    except ValueError:
        return None


def parse_hours(text: str):
    """Hours as an exact number of hundredths (round half up), or None."""
    if not HOURS_RE.fullmatch(text):
        return None
    return int((Decimal(text) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_verified(text: str):
    low = text.lower()
    if low in TRUE_WORDS:
        return True
    if low in FALSE_WORDS:
        return False
    return None


def rollup(code: str):
    """[(region_code, level)] that a 6-digit code counts towards, national first."""
    out = [("000000", "national")]
    pp, cc, dd = code[:2], code[2:4], code[4:]
    if pp == "00":
        return out
    out.append((pp + "0000", "province"))
    if cc == "00":
        if dd != "00":  # malformed county code directly under a province
            out.append((code, "county"))
        return out
    out.append((pp + cc + "00", "city"))
    if dd != "00":
        out.append((code, "county"))
    return out


def ratio(num: int, den: int, places: int) -> str:
    """num/den (both >= 0) rounded half up to `places` decimals; '' when den == 0."""
    if den == 0:
        return ""
    scaled = (2 * num * 10 ** places + den) // (2 * den)  # floor(x * 10^p + 1/2)
    if places == 0:
        return str(scaled)
    whole, frac = divmod(scaled, 10 ** places)
    return f"{whole}.{frac:0{places}d}"


def csv_field(value: str) -> str:
    if any(c in value for c in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


# ---------------------------------------------------------------------------- reading inputs

def open_binary(path: str):
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")


def resolve_encoding(path: str, name) -> str:
    name = str(name or "auto").strip().lower().replace("_", "-")
    if name in ("utf-8", "utf8"):
        return "utf-8-sig"
    if name in ("gb18030", "gbk", "gb2312"):
        return "gb18030"  # GB18030 is a superset of GBK and GB2312
    if name != "auto":
        raise ConfigError(f"unsupported encoding {name!r}")
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open_binary(path) as f:
            while chunk := f.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "gb18030"


def source_paths(source) -> list:
    pattern = source.get("path")
    if not pattern:
        raise ConfigError("source without path")
    paths = sorted(glob.glob(str(pattern)))
    if not paths:
        raise ConfigError(f"no input files match {pattern!r}")
    return paths


def value_maps(source):
    return {field: {str(k): "" if v is None else str(v) for k, v in (mapping or {}).items()}
            for field, mapping in (source.get("values") or {}).items()}


def apply_value(maps, field, raw) -> str:
    value = "" if raw is None else str(raw).strip()
    mapping = maps.get(field)
    if mapping is not None and value in mapping:
        value = mapping[value].strip()
    return value


def read_csv_source(source, fields):
    """Yield (path, line_no, {canonical field: value}) for every row of a CSV source."""
    columns = {str(k): str(v) for k, v in (source.get("columns") or {}).items()}
    delimiter = str(source.get("delimiter", ","))
    maps = value_maps(source)
    for path in source_paths(source):
        encoding = resolve_encoding(path, source.get("encoding"))
        with open_binary(path) as raw:
            text = io.TextIOWrapper(raw, encoding=encoding, newline="")
            reader = csv.reader(text, delimiter=delimiter)
            header = [h.strip() for h in next(reader, [])]
            index = {}
            for field in fields:
                name = columns.get(field, field)
                if name in header:
                    index[field] = header.index(name)
                elif field in columns:
                    raise ConfigError(f"{path}: column {name!r} (for {field}) not in header")
            for row in reader:
                if not row or all(not c.strip() for c in row):
                    continue
                yield path, reader.line_num, {
                    f: apply_value(maps, f, row[i] if i < len(row) else "") for f, i in index.items()}


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def xml_value(elem, spec: str):
    """Resolve a field spec ("@a", "child", "a/b", "a/@b") against a record element."""
    node = elem
    parts = spec.split("/")
    for part in parts[:-1]:
        node = next((c for c in node if local(c.tag) == part), None)
        if node is None:
            return None
    last = parts[-1]
    if last.startswith("@"):
        return node.get(last[1:])
    child = next((c for c in node if local(c.tag) == last), None)
    return None if child is None else "".join(child.itertext())


def read_xml_source(source, fields):
    record_tag = str(source.get("record", "record"))
    specs = {str(k): str(v) for k, v in (source.get("fields") or {}).items()}
    unknown = set(specs) - set(fields)
    if unknown:
        raise ConfigError(f"unknown fields {sorted(unknown)}")
    maps = value_maps(source)
    for path in source_paths(source):
        with open_binary(path) as f:
            n = 0
            for _, elem in ET.iterparse(f, events=("end",)):
                if local(elem.tag) != record_tag:
                    continue
                n += 1
                yield path, n, {field: apply_value(maps, field, xml_value(elem, spec))
                                for field, spec in specs.items()}
                elem.clear()


def read_source(source):
    dataset = source.get("dataset")
    fields = DATASET_FIELDS[dataset]
    fmt = str(source.get("format", "csv")).lower()
    if fmt == "csv":
        return read_csv_source(source, fields)
    if fmt == "xml":
        return read_xml_source(source, fields)
    raise ConfigError(f"unsupported format {fmt!r}")


def read_population(path):
    population = {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            code = (row.get("region_code") or "").strip()
            value = (row.get("population") or "").strip()
            if REGION_RE.fullmatch(code) and value:
                population[code] = int(Decimal(value))
    return population


def read_names(regions_dir: Path):
    names = {"000000": "全国"}
    for file, width in (("provinces.csv", 2), ("cities.csv", 4), ("areas.csv", 6)):
        with open(regions_dir / file, encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                code = row["code"].strip()
                if len(code) == width:
                    names[code.ljust(6, "0")] = row["name"].strip()
    return names


# ---------------------------------------------------------------------------- the statistics

def parse_datetime(text: str):
    """Timestamp of `YYYY-MM-DD[ T]HH:MM[:SS]` (a date of any accepted form is midnight), or None."""
    day = parse_date(text)
    if day is None:
        return None
    g = DATE_RE.fullmatch(text).groupdict()
    if g["H"] is None:
        return dt.datetime(day.year, day.month, day.day)
    return dt.datetime(day.year, day.month, day.day, int(g["H"]), int(g["M"]), int(g["S"] or 0))


def birth_date_of(row):
    """The birth_date field when it parses, else digits 7-14 of an 18-character id number."""
    day = parse_date(row.get("birth_date", ""))
    if day is not None:
        return day
    number = row.get("id_number", "").upper()
    if len(number) == 18 and number[6:14].isdigit():
        try:
            return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        except ValueError:
            return None
    return None


def age_on(born: dt.date, day: dt.date) -> int:
    """Whole years completed on `day` (someone born on Feb 29 turns a year older on Mar 1)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def sources_of(config, dataset):
    return [s for s in (config.get("sources") or []) if s.get("dataset") == dataset]


class Volunteers:
    """The volunteers datasets, read once: persons, registrations and their roll-up."""

    def __init__(self, config, as_of: dt.date, skipped: Counter):
        period_start = dt.date(as_of.year, 1, 1)
        self.first_row = {}               # person -> their first usable volunteers row
        self.by_source_id = {}            # source_id -> (person, region_code) of the first row
        self.levels = {"000000": "national"}  # every region holding a volunteers row -> level
        self.registered = defaultdict(set)
        self.new = defaultdict(set)
        self.cohort = {}                  # counted person -> year of the earliest counted row
        for source in sources_of(config, "volunteers"):
            for path, line, row in read_source(source):
                person = row.get("id_number", "").upper()
                source_id = row.get("source_id", "")
                region = row.get("region_code", "")
                reg_date = parse_date(row.get("registered_at", ""))
                if (not person or not source_id or not REGION_RE.fullmatch(region)
                        or reg_date is None):
                    skipped["volunteers"] += 1
                    print(f"warning: {path}:{line}: unusable volunteers row skipped",
                          file=sys.stderr)
                    continue
                row["id_number"] = person
                self.first_row.setdefault(person, row)
                self.by_source_id.setdefault(source_id, (person, region))
                groups = rollup(region)
                self.levels.update(groups)
                if reg_date <= as_of and row.get("status", "") != "deregistered":
                    self.cohort[person] = min(self.cohort.get(person, reg_date.year), reg_date.year)
                    for g, _ in groups:
                        self.registered[g].add(person)
                        if reg_date >= period_start:
                            self.new[g].add(person)

    def attribute(self, person, field) -> str:
        return self.first_row[person].get(field, "")


def verified_records(config, volunteers: Volunteers, skipped: Counter):
    """Yield (person, region_code, started_at date, hundredths) for every usable, verified
    service record of a known volunteer; person and region are those of the first volunteers
    row with the record's volunteer_id as source_id."""
    for source in sources_of(config, "service_records"):
        for path, line, rec in read_source(source):
            volunteer_id = rec.get("volunteer_id", "")
            amount = parse_hours(rec.get("hours", ""))
            started = parse_date(rec.get("started_at", ""))
            verified = parse_verified(rec["verified"]) if "verified" in rec else True
            if not volunteer_id or amount is None or started is None or verified is None:
                skipped["service_records"] += 1
                print(f"warning: {path}:{line}: unusable service record skipped", file=sys.stderr)
                continue
            if volunteer_id not in volunteers.by_source_id:
                skipped["unknown volunteer"] += 1
                continue
            if verified:
                person, region = volunteers.by_source_id[volunteer_id]
                yield person, region, started, amount


def table_by_region(config, as_of, names, skipped):
    period_start = dt.date(as_of.year, 1, 1)
    vol = Volunteers(config, as_of, skipped)
    hours = defaultdict(int)          # hundredths of an hour
    active = defaultdict(set)
    for person, region, started, amount in verified_records(config, vol, skipped):
        if period_start <= started <= as_of:
            for g, _ in rollup(region):
                hours[g] += amount
                active[g].add(person)
    population = read_population(config["population"]) if config.get("population") else {}
    rows = []
    for code in sorted(vol.levels):
        reg = vol.registered[code]
        n_reg = len(reg)
        party = sum(1 for p in reg if vol.attribute(p, "political_status") in PARTY_CODES)
        unknown = sum(1 for p in reg if vol.attribute(p, "political_status") == "")
        pop = population.get(code, 0)
        rows.append([
            code, names.get(code, ""), vol.levels[code], str(n_reg), str(len(vol.new[code])),
            str(party), ratio(party, n_reg - unknown, 6), str(unknown), ratio(hours[code], 100, 2),
            ratio(hours[code], 100 * n_reg, 2), str(len(active[code])),
            ratio(len(active[code]), n_reg, 6), ratio(n_reg, pop, 6),
        ])
    return rows


def table_group_shares(config, as_of, names, skipped):
    vol = Volunteers(config, as_of, skipped)
    rows = []
    for code in sorted(vol.levels):
        reg = vol.registered[code]
        births = [birth_date_of(vol.first_row[p]) for p in reg]
        known_births = [b for b in births if b is not None]
        elderly = sum(1 for b in known_births if age_on(b, as_of) >= 60)
        household = [vol.attribute(p, "household") for p in reg]
        education = [vol.attribute(p, "education") for p in reg]
        political = [vol.attribute(p, "political_status") for p in reg]
        rural = household.count("rural")
        bachelor = sum(1 for e in education if e in BACHELOR_OR_ABOVE)
        league = political.count(LEAGUE_CODE)
        rows.append([
            code, names.get(code, ""), vol.levels[code], str(len(reg)),
            str(elderly), ratio(elderly, len(known_births), 6),
            str(rural), ratio(rural, sum(1 for h in household if h), 6),
            str(bachelor), ratio(bachelor, sum(1 for e in education if e), 6),
            str(league), ratio(league, sum(1 for s in political if s), 6),
        ])
    return rows


def table_retention_by_cohort(config, as_of, names, skipped):
    vol = Volunteers(config, as_of, skipped)
    counted = vol.cohort                      # person -> cohort year
    active_years = defaultdict(set)           # counted person -> years with a verified record
    for person, _, started, _ in verified_records(config, vol, skipped):
        if person in counted and started <= as_of and started.year >= FIRST_ACTIVE_YEAR:
            active_years[person].add(started.year)
    rows = []
    cohorts = defaultdict(set)
    for person, year in counted.items():
        cohorts[year].add(person)
    for year in sorted(cohorts):
        members = cohorts[year]
        for t in range(year, as_of.year + 1):
            n = sum(1 for p in members if t in active_years[p])
            rows.append(["cohort", str(year), str(t), str(len(members)), str(n),
                         ratio(n, len(members), 6)])
    if cohorts:
        for t in range(min(cohorts) + 1, as_of.year + 1):
            before = {p for p in counted if t - 1 in active_years[p]}
            if not before:
                continue
            both = sum(1 for p in before if t in active_years[p])
            rows.append(["period", "", str(t), str(len(before)), str(both),
                         ratio(both, len(before), 6)])
    return rows


def service_unit(region_code: str):
    """(code, name override or None) of the service unit of a placement's service region."""
    if region_code.startswith("6590"):
        return "660000", "新疆生产建设兵团"
    return region_code[:2] + "0000", None


def read_placements(config, skipped):
    for source in sources_of(config, "placements"):
        for path, line, row in read_source(source):
            if not REGION_RE.fullmatch(row.get("service_region_code", "")):
                skipped["placements"] += 1
                print(f"warning: {path}:{line}: placement without a usable service_region_code "
                      "skipped", file=sys.stderr)
                continue
            yield row


def table_placements_by_province(config, as_of, names, skipped):
    unit_names = {"000000": names.get("000000", "全国")}
    tally = defaultdict(Counter)       # (unit, programme) -> counts
    for p in read_placements(config, skipped):
        unit, override = service_unit(p["service_region_code"])
        unit_names[unit] = override or names.get(unit, "")
        stage = p.get("stage", "")
        admitted = stage in ADMITTED_STAGES
        status = p.get("political_status", "")
        degree = p.get("degree", "")
        end = parse_date(p.get("end_date", ""))
        ended = stage == "ended" and end is not None and end <= as_of
        facts = {
            "applicants": 1,
            "admitted": admitted,
            "party_applicants": status in PARTY_CODES,
            "status_known_applicants": status != "",
            "party_admitted": admitted and status in PARTY_CODES,
            "status_known_admitted": admitted and status != "",
            "bachelor_admitted": admitted and degree in BACHELOR_OR_ABOVE,
            "degree_known_admitted": admitted and degree != "",
            "ended": ended,
            "stayed_local": ended and p.get("outcome", "") == "stayed_local",
        }
        programme = p.get("special_programme", "")
        keys = [(u, "all") for u in ("000000", unit)]
        if programme:
            keys += [(u, programme) for u in ("000000", unit)]
        for key in keys:
            for name, value in facts.items():
                tally[key][name] += int(value)

    def order(key):
        unit, programme = key
        return int(unit), 0 if programme == "all" else PROGRAMMES.index(programme) + 1

    rows = []
    for key in sorted(tally, key=order):
        c = tally[key]
        rows.append([
            key[0], unit_names[key[0]], key[1], str(c["applicants"]), str(c["admitted"]),
            str(c["party_applicants"]),
            ratio(c["party_applicants"], c["status_known_applicants"], 6),
            str(c["party_admitted"]), ratio(c["party_admitted"], c["status_known_admitted"], 6),
            ratio(c["bachelor_admitted"], c["degree_known_admitted"], 6),
            str(c["ended"]), str(c["stayed_local"]), ratio(c["stayed_local"], c["ended"], 6),
        ])
    return rows


def check_passes(count: int, serving: int, comparison: str, threshold: str) -> bool:
    share = Fraction(count, serving)
    limit = Fraction(threshold)
    return share >= limit if comparison == ">=" else share <= limit


def table_programme_checks(config, as_of, names, skipped):
    unit_names = {}
    serving = defaultdict(list)        # unit -> serving placements
    for p in read_placements(config, skipped):
        unit, override = service_unit(p["service_region_code"])
        unit_names[unit] = override or names.get(unit, "")
        if p.get("stage", "") == "serving":
            serving[unit].append(p)
    rows = []
    for unit in sorted(serving, key=int):
        group = serving[unit]
        for rule, field, value, comparison, threshold in PROGRAMME_RULES:
            count = sum(1 for p in group if p.get(field, "") == value)
            passed = check_passes(count, len(group), comparison, threshold)
            rows.append([unit, unit_names[unit], rule, str(len(group)), str(count),
                         ratio(count, len(group), 6), comparison, threshold,
                         "true" if passed else "false"])
    return rows


def table_orders_by_region(config, as_of, names, skipped):
    period_start = dt.date(as_of.year, 1, 1)
    levels = {}
    tally = defaultdict(Counter)       # region -> counts
    for source in sources_of(config, "orders"):
        for path, line, o in read_source(source):
            requested = parse_datetime(o.get("requested_at", ""))
            region = o.get("region_code", "")
            if requested is None or (region and not REGION_RE.fullmatch(region)):
                skipped["orders"] += 1
                print(f"warning: {path}:{line}: unusable order skipped", file=sys.stderr)
                continue
            if not period_start <= requested.date() <= as_of:
                continue
            stamps = {f: parse_datetime(o.get(f, "")) for f in ORDER_STAMPS}

            def within_hour(field):
                t = stamps[field]
                return t is not None and (t - requested).total_seconds() <= 3600

            facts = {
                "orders": 1,
                "completed": stamps["completed_at"] is not None,
                "closed_loop": all(stamps[f] is not None for f in
                                   ("dispatched_at", "accepted_at", "completed_at", "rated_at")),
                "reviewed": within_hour("reviewed_at"),
                "answered": within_hour("accepted_at"),
            }
            groups = rollup(region) if region else [("000000", "national")]
            levels.update(groups)
            for g, _ in groups:
                for name, value in facts.items():
                    tally[g][name] += int(value)
    rows = []
    for code in sorted(levels):
        c = tally[code]
        n = c["orders"]
        rows.append([
            code, names.get(code, ""), levels[code], str(n), str(c["completed"]),
            str(c["closed_loop"]), ratio(c["closed_loop"], n, 6),
            str(c["reviewed"]), ratio(c["reviewed"], n, 6),
            str(c["answered"]), ratio(c["answered"], n, 6),
        ])
    return rows


TABLES = {
    "by_region": (HEADER, table_by_region),
    "group_shares": ("region_code,region_name,level,registered,elderly,elderly_share,rural,"
                     "rural_share,bachelor_or_above,bachelor_or_above_share,league_members,"
                     "league_member_share", table_group_shares),
    "retention_by_cohort": ("kind,cohort_year,year,base,active,share", table_retention_by_cohort),
    "placements_by_province": ("service_province_code,service_province_name,special_programme,"
                               "applicants,admitted,party_applicants,party_share_applicants,"
                               "party_admitted,party_share_admitted,bachelor_or_above_share,ended,"
                               "stayed_local,retention_rate", table_placements_by_province),
    "programme_checks": ("service_province_code,service_province_name,rule,serving,count,"
                         "measured_share,comparison,threshold,passed", table_programme_checks),
    "orders_by_region": ("region_code,region_name,level,orders,completed,closed_loop,"
                         "closed_loop_share,reviewed_within_1h,reviewed_within_1h_share,"
                         "answered_within_1h,answered_within_1h_share", table_orders_by_region),
}


def compute(config, as_of: dt.date, regions_dir: Path, table: str = "by_region") -> str:
    if table not in TABLES:
        raise ConfigError(f"unknown table {table!r}; expected one of {', '.join(TABLES)}")
    for s in config.get("sources") or []:
        if s.get("dataset") not in DATASET_FIELDS:
            print(f"warning: ignoring source with dataset {s.get('dataset')!r}", file=sys.stderr)
    skipped = Counter()
    header, build = TABLES[table]
    rows = build(config, as_of, read_names(regions_dir), skipped)
    for what, n in sorted(skipped.items()):
        print(f"note: {n} {what} rows/records skipped or ignored", file=sys.stderr)
    return "\n".join([header] + [",".join(csv_field(f) for f in row) for row in rows]) + "\n"


def load_config(path: str):
    with open(path, encoding="utf-8") as f:
        config = yaml.safe_load(f)
    if not isinstance(config, dict) or not isinstance(config.get("sources"), list):
        raise ConfigError(f"{path}: not a pipeline file (no sources list)")
    return config


def resolve_as_of(cli_value, config) -> dt.date:
    value = cli_value if cli_value is not None else config.get("as_of")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if value == "yesterday":
        return dt.date.today() - dt.timedelta(days=1)
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"bad as_of {value!r} (want YYYY-MM-DD)") from None


# ---------------------------------------------------------------------------- self-test

SELF_TEST_EXPECTED = HEADER + """
000000,全国,national,7,6,3,0.500000,1,19.39,2.77,5,0.714286,0.875000
110000,北京市,province,1,1,1,1.000000,0,0.50,0.50,1,1.000000,
110100,市辖区,city,1,1,1,1.000000,0,0.50,0.50,1,1.000000,0.333333
110101,东城区,county,1,1,1,1.000000,0,0.50,0.50,1,1.000000,
360000,江西省,province,6,5,2,0.400000,1,18.89,3.15,4,0.666667,0.150000
360100,南昌市,city,3,3,1,0.500000,1,10.76,3.59,2,0.666667,0.428571
360102,东湖区,county,2,1,1,0.500000,0,9.75,4.88,2,1.000000,0.125000
360103,西湖区,county,1,1,0,,1,0.00,0.00,0,0.000000,
360200,景德镇市,city,2,2,0,0.000000,0,2.00,1.00,1,0.500000,0.400000
360202,昌江区,county,1,1,0,0.000000,0,2.00,2.00,1,1.000000,0.000001
360203,珠山区,county,1,1,0,0.000000,0,0.00,0.00,0,0.000000,
"""


def self_test() -> None:
    """Run a tiny example whose table was computed by hand (see comments below)."""
    assert ratio(2, 3, 6) == "0.666667" and ratio(1, 2_000_000, 6) == "0.000001"
    assert ratio(975, 200, 2) == "4.88" and ratio(5, 0, 2) == "" and ratio(0, 7, 2) == "0.00"
    assert parse_hours("1.005") == 101 and parse_hours("6.125") == 613 and parse_hours("3") == 300
    assert parse_hours("-1") is None and parse_hours("1,5") is None
    assert parse_date("2022年7月6日") == dt.date(2022, 7, 6)
    assert parse_date("2021/3/5 08:00") == dt.date(2021, 3, 5)
    assert parse_date("2022-06-30T23:59:59") == dt.date(2022, 6, 30)
    assert parse_date("2022-13-01") is None and parse_date("2022-1-5") is None
    assert parse_date("2022-01-01 25:00") is None and parse_date("2022-01-01x") is None
    assert parse_verified("TRUE") is True and parse_verified("No") is False
    assert parse_verified("maybe") is None
    assert [c for c, _ in rollup("360100")] == ["000000", "360000", "360100"]
    assert [c for c, _ in rollup("360000")] == ["000000", "360000"]
    assert csv_field('a,"b"') == '"a,""b"""' and csv_field("x") == "x"

    files = {
        "regions/provinces.csv": 'code,name\n11,"北京市"\n36,"江西省"\n',
        "regions/cities.csv": 'code,name,provinceCode\n1101,"市辖区",11\n3601,"南昌市",36\n'
                              '3602,"景德镇市",36\n',
        "regions/areas.csv": 'code,name,cityCode,provinceCode\n110101,"东城区",1101,11\n'
                             '360102,"东湖区",3601,36\n360103,"西湖区",3601,36\n'
                             '360104,"青云谱区",3601,36\n360202,"昌江区",3602,36\n'
                             '360203,"珠山区",3602,36\n',
        # Persons: P1 ...001X (first row: party member), P2 ...0022 (masses), P3 ...0033
        # (unknown), P4 ...0044 (registers after as_of), P5 ...0055 (deregistered), P7 ...0077
        # (probationary member).
        # A6 repeats P1 (lower-case x, spaces) in the city-level code 360100 with another status;
        # A8 has an invalid date, so 360104 must not appear.
        "in/a-1.csv": "\ufeff编号,证件号,政治面貌,区划,注册日期,状态\r\n"
                      "A1,11010119900101001x,中共党员,360102,2021/3/5,正常\r\n"
                      "A2,360102199001010022,群众,360102,2022年2月1日,正常\r\n"
                      "A3,360103199001010033,,360103,2022-06-30 10:00,正常\r\n"
                      "A4,360103199001010044,中共预备党员,360103,2022-07-01,正常\r\n"
                      "A5,360202199001010055,中共党员,360202,2020-01-01,注销\r\n"
                      "A6, 11010119900101001X ,共青团员,360100,2022-03-01,正常\r\n"
                      "A7,110101199001010077,中共预备党员,110101,2022/5/5,正常\r\n"
                      "A8,360104199001010088,群众,360104,2022-13-01,正常\r\n",
        # GB18030, gzip, ';' delimiter, canonical headers. B1 repeats P2; B2 (P9, party member)
        # sits at the province-level code with no status; "B;3" is P10 (league member);
        # B4 is P11 but reuses source id A1, so records for A1 still go to P1 in 360102.
        "in/b-1.csv.gz": "source_id;id_number;political_status;region_code;registered_at;"
                         "status;org_id\n"
                         "B1;360102199001010022;13;360102;2022-01-15;active;团委\n"
                         "B2;360000199001010099;01;360000;2019-01-01;;团委\n"
                         '"B;3";360202199001010101;03;360202;2022-04-01;active;团委\n'
                         "A1;360203199001010111;13;360203;2022-01-01;active;团委\n",
        # S1 P1@360102 2.50; S2 P1@360100 1.005->1.01; S3 P2 3.00; S4 P2 (via B1) 4.25;
        # S5 after as_of; S6 deregistered P5@360202 2.00 (counts); S7 unverified; S8 unknown;
        # S9 before the period; S10 unverified ("NO"); S11 P9@360000 6.125->6.13.
        "in/service-1.xml": '<?xml version="1.0" encoding="UTF-8"?>\n'
                            '<export xmlns="urn:example"><batch>\n'
                            '<rec key="S1"><who>A1</who><time><start>2022-03-01T08:00</start>'
                            '</time><h>2.5</h><ok>是</ok></rec>\n'
                            '<rec key="S2"><who>A6</who><time><start>2022-04-01</start></time>'
                            '<h>1.005</h><ok>yes</ok></rec>\n'
                            '<rec key="S3"><who>A2</who><time><start>2022-06-30 23:59:59'
                            '</start></time><h>3</h><ok>1</ok></rec>\n'
                            '<rec key="S4"><who>B1</who><time><start>2022-05-01</start></time>'
                            '<h>4.25</h><ok>TRUE</ok></rec>\n'
                            '<rec key="S5"><who>A3</who><time><start>2022-07-01</start></time>'
                            '<h>5</h><ok>是</ok></rec>\n'
                            '<rec key="S6"><who>A5</who><time><start>2022/6/1</start></time>'
                            '<h>2</h><ok>是</ok></rec>\n'
                            '<rec key="S7"><who>A7</who><time><start>2022年1月2日</start></time>'
                            '<h>1.5</h><ok>否</ok></rec>\n'
                            '<rec key="S8"><who>ZZ</who><time><start>2022-01-01</start></time>'
                            '<h>8</h><ok>是</ok></rec>\n'
                            '<rec key="S9"><who>B;3</who><time><start>2021-12-31</start></time>'
                            '<h>2</h><ok>是</ok></rec>\n'
                            '<rec key="S10"><who>A4</who><time><start>2022-06-01</start></time>'
                            '<h>0.333</h><ok>NO</ok></rec>\n'
                            '<rec key="S11"><who>B2</who><time><start>2022-02-02 08:00:00'
                            '</start></time><h>6.125</h><ok>是</ok></rec>\n'
                            '</batch></export>\n',
        # No `verified` field: every record counts. T1 P7@110101 0.50.
        "in/t-1.csv": "record_id,volunteer_id,started_at,hours\nT1,A7,2022-06-15,0.5\n",
        "in/pop.csv": "region_code,population\n000000,8\n360000,40\n360100,7\n360102,16\n"
                      "360103,0\n110100,3\n360200,5\n360202,2000000\n369900,10\n",
        "p.yaml": """
name: self-test
as_of: 2022-06-30
sources:
  - dataset: volunteers
    format: csv
    path: in/a-*.csv
    encoding: utf-8
    columns: {source_id: 编号, id_number: 证件号, political_status: 政治面貌,
              region_code: 区划, registered_at: 注册日期, status: 状态}
    values:
      political_status: {中共党员: "01", 中共预备党员: "02", 共青团员: "03", 群众: "13"}
      status: {正常: active, 注销: deregistered}
  - dataset: volunteers
    format: csv
    path: in/b-*.csv.gz
    delimiter: ";"
  - dataset: service_records
    format: xml
    path: in/service-*.xml
    record: rec
    fields: {record_id: "@key", volunteer_id: who, started_at: time/start, hours: h,
             verified: ok}
  - dataset: service_records
    format: csv
    path: in/t-*.csv
population: in/pop.csv
""",
    }
    got = run_example(files, "p.yaml", ["by_region"])["by_region"]
    failures = []
    if got != SELF_TEST_EXPECTED:
        failures.append(("by_region", SELF_TEST_EXPECTED, got))
    failures += self_test_tables()
    for table, expected, got in failures:
        sys.stderr.write(f"self-test FAILED: {table}\n--- expected\n{expected}--- got\n{got}")
    if failures:
        raise SystemExit(1)
    print("self-test passed", file=sys.stderr)


def run_example(files, pipeline, tables):
    """Write `files` into a temporary folder and compute `tables` for `pipeline` there."""
    old_cwd = os.getcwd()
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in files.items():
            path = Path(tmp) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if name.endswith(".gz"):
                path.write_bytes(gzip.compress(text.encode("gb18030"), mtime=0))
            else:
                path.write_text(text, encoding="utf-8", newline="")
        os.chdir(tmp)
        try:
            config = load_config(pipeline)
            for table in tables:
                out[table] = compute(config, resolve_as_of(None, config), Path(tmp) / "regions",
                                     table)
        finally:
            os.chdir(old_cwd)
    return out


# The second example: one pipeline with every dataset, one expected string per table.
# as_of 2022-06-30, so the period is 2022-01-01 .. 2022-06-30.
TABLES_FILES = {
    "regions/provinces.csv": 'code,name\n11,"北京市"\n36,"江西省"\n54,"西藏自治区"\n'
                             '65,"新疆维吾尔自治区"\n',
    "regions/cities.csv": 'code,name,provinceCode\n1101,"市辖区",11\n3601,"南昌市",36\n'
                          '3602,"景德镇市",36\n5401,"拉萨市",54\n6501,"乌鲁木齐市",65\n'
                          '6590,"自治区直辖县级行政区划",65\n',
    "regions/areas.csv": 'code,name,cityCode,provinceCode\n110101,"东城区",1101,11\n'
                         '360102,"东湖区",3601,36\n360103,"西湖区",3601,36\n'
                         '360202,"昌江区",3602,36\n540102,"城关区",5401,54\n'
                         '650102,"天山区",6501,65\n650103,"沙依巴克区",6501,65\n'
                         '659001,"石河子市",6590,65\n',
    # Persons (attributes from their first row):
    #   P1 ...0011 born 1962-06-30 (id): exactly 60 on as_of -> elderly; league, bachelor, rural.
    #      V1 360102 2020 counted; V7 110101 2019 counted (its party status etc. are ignored)
    #      -> cohort 2019 (earliest counted row, not the first row).
    #   P2 ...0022 born 1962-07-01: 59 -> not elderly; masses, college, urban. V2 360102 2021;
    #      V8 360202 registered after as_of (not counted, but its records count for P2).
    #   P3 id says 2000, birth_date field says 1950 -> elderly; status and education unknown,
    #      rural. V3 360103 2022; V9 360202 deregistered (its records count for P3).
    #   P4 registered after as_of, P5 deregistered: never counted.
    #   P6 born 1995, league, postgraduate, household unknown. V6 110101 2021.
    #   P7 born 1988, probationary member, secondary vocational, rural. V10 360102 2016.
    "in2/v.csv": "编号,证件号,出生日期,政治面貌,学历,户口性质,区划,注册日期,状态\n"
                 "V1,360102196206300011,,共青团员,本科,农业,360102,2020-05-01,正常\n"
                 "V2,360102196207010022,,群众,大专,非农业,360102,2021-02-01,正常\n"
                 "V3,360103200001010033,1950/1/1,,,农业,360103,2022-03-01,正常\n"
                 "V4,360103199001010044,,共青团员,研究生,农业,360103,2022-07-01,正常\n"
                 "V5,360202198001010055,,中共党员,本科,非农业,360202,2019-01-01,注销\n"
                 "V6,110101199505050066,1995-05-05,共青团员,研究生,,110101,2021-06-01,正常\n"
                 "V7,360102196206300011,,中共党员,其他,非农业,110101,2019-07-01,正常\n"
                 "V8,360102196207010022,,群众,大专,非农业,360202,2023-01-01,正常\n"
                 "V9,360103200001010033,,,,农业,360202,2018-01-01,注销\n"
                 "V10,360102198808080077,,中共预备党员,中专,农业,360102,2016-03-03,正常\n",
    # Active years: P1 {2019 (R1), 2020 (R2 via V7), 2022 (R4, on as_of)}; R3 unverified.
    # P2 {1999 (R12, before 2000: ignored), 2021 (R5 via V8)}; R6 after as_of.
    # P3 {2022 (R9 via V9)}. P6 {2020 (R14, before its cohort), 2021, 2022}. P7 {2017}.
    # R10/R11 belong to persons never counted; R13 to an unknown volunteer.
    "in2/s.csv": "record_id,volunteer_id,started_at,hours,verified\n"
                 "R1,V1,2019-08-01,2,1\nR2,V7,2020-03-01 08:00,2,1\nR3,V1,2021-04-01,2,0\n"
                 "R4,V1,2022-06-30T23:00:00,2,1\nR5,V8,2021-12-31,2,1\nR6,V2,2022-07-01,2,1\n"
                 "R7,V6,2021/3/1,2,1\nR8,V6,2022年1月1日,2,1\nR9,V9,2022-02-02,2,1\n"
                 "R10,V5,2021-05-05,2,1\nR11,V4,2022-05-01,2,1\nR12,V2,1999-05-01,2,1\n"
                 "R13,ZZ,2022-01-01,2,1\nR14,V6,2020-02-01,2,1\nR15,V10,2017-06-01,2,1\n",
    # Units: X1-X6, X13, X14 -> 650000; X7-X9 (6590..) -> 660000; X10, X11 -> 540000;
    # X12 -> 360000. X6 is stage ended but ends after as_of; X7 ended with no programme.
    "in2/placements.xml": '<?xml version="1.0" encoding="UTF-8"?>\n<placements>\n' + "".join(
        f'<placement id="{pid}"><vid>{pid}</vid><stage>{stage}</stage><region>{region}</region>'
        + "".join(f"<{tag}>{value}</{tag}>" for tag, value in (
            ("programme", prog), ("post", post), ("end", end), ("outcome", outcome),
            ("degree", degree), ("politics", politics), ("rating", rating)) if value)
        + "</placement>\n"
        for pid, stage, region, prog, post, end, outcome, degree, politics, rating in (
            ("X1", "申请", "650102", "rural_education", "", "", "", "20", "中共党员", ""),
            ("X2", "录取", "650102", "rural_education", "", "", "", "10", "群众", ""),
            ("X3", "在岗", "650102", "youth_work", "township_or_below", "", "", "30",
             "中共预备党员", "excellent"),
            ("X4", "在岗", "650103", "rural_education", "township_or_below", "", "", "20",
             "共青团员", "pass"),
            ("X5", "期满", "650102", "serve_xinjiang", "", "2022-06-30 18:00", "stayed_local",
             "20", "中共党员", ""),
            ("X6", "期满", "650102", "serve_xinjiang", "", "2022-07-01", "stayed_local", "", "",
             ""),
            ("X7", "期满", "659001", "", "", "2021-07-31", "left", "20", "中共党员", ""),
            ("X8", "在岗", "659001", "rural_health", "county", "", "", "40", "群众", "excellent"),
            ("X9", "期满", "659001", "rural_health", "", "2022/6/1", "stayed_local", "10",
             "共青团员", ""),
            ("X10", "申请", "540102", "serve_tibet", "", "", "", "", "中共预备党员", ""),
            ("X11", "在岗", "540102", "rural_education", "township_or_below", "", "", "20",
             "中共党员", "excellent"),
            ("X12", "申请", "360102", "", "", "", "", "20", "", ""),
            ("X13", "在岗", "650102", "rural_construction", "township_or_below", "", "", "30",
             "群众", "basic"),
            ("X14", "在岗", "650102", "", "county", "", "", "", "", "fail"),
        )) + "</placements>\n",
    # Counted: O1, O2, O4, O6, O7 (O3 before the period, O5 after as_of: 360202 gets no row).
    # O1 reviewed after exactly 3600 s (within), accepted after 3601 s (not). O2 requested at
    # midnight of 2022/3/5, no dispatch. O4 on as_of 23:59:59, reviewed the next day 1801 s
    # later, no region (national only). O6 at the city-level code.
    "in2/orders.csv": "订单号,申请时间,审核时间,派单时间,接单时间,完成时间,评价时间,区划\n"
                      "O1,2022-03-01 08:00,2022-03-01 09:00:00,2022-03-01 09:10,"
                      "2022-03-01 09:00:01,2022-03-02,2022-03-03,360102\n"
                      "O2,2022/3/5,2022-03-05T00:59:59,,2022-03-05 00:30,2022年3月6日,"
                      "2022-03-07,360103\n"
                      "O3,2021-12-31 23:30,2021-12-31 23:40,,,,,360102\n"
                      "O4,2022-06-30 23:59:59,2022-07-01 00:30,,,,,\n"
                      "O5,2022-07-01 00:00,2022-07-01 00:10,,,,,360202\n"
                      "O6,2022-01-01 00:00,2022-01-01 00:10,2022-01-01 01:00,2022-01-01 00:59,"
                      "2022-01-01 03:00,2022-01-02,360100\n"
                      "O7,2022-04-04T10:00,2022-04-04 12:00,2022-04-04 12:05,2022-04-04 12:10,"
                      "2022-04-04 15:00,2022-04-05,110101\n",
    "p2.yaml": """
name: self-test-tables
as_of: 2022-06-30
sources:
  - dataset: volunteers
    format: csv
    path: in2/v.csv
    columns: {source_id: 编号, id_number: 证件号, birth_date: 出生日期, political_status: 政治面貌,
              education: 学历, household: 户口性质, region_code: 区划, registered_at: 注册日期,
              status: 状态}
    values:
      political_status: {中共党员: "01", 中共预备党员: "02", 共青团员: "03", 群众: "13"}
      education: {研究生: "10", 本科: "20", 大专: "30", 中专: "40", 其他: "90"}
      household: {农业: rural, 非农业: urban}
      status: {正常: active, 注销: deregistered}
  - dataset: service_records
    format: csv
    path: in2/s.csv
  - dataset: placements
    format: xml
    path: in2/placements.xml
    record: placement
    fields: {placement_id: "@id", volunteer_id: vid, stage: stage, service_region_code: region,
             special_programme: programme, post_level: post, end_date: end, outcome: outcome,
             degree: degree, political_status: politics, rating: rating}
    values:
      stage: {申请: applied, 录取: admitted, 在岗: serving, 期满: ended}
      political_status: {中共党员: "01", 中共预备党员: "02", 共青团员: "03", 群众: "13"}
  - dataset: orders
    format: csv
    path: in2/orders.csv
    columns: {order_id: 订单号, requested_at: 申请时间, reviewed_at: 审核时间, dispatched_at: 派单时间,
              accepted_at: 接单时间, completed_at: 完成时间, rated_at: 评价时间, region_code: 区划}
""",
}

TABLES_EXPECTED = {
    # Registered: nation P1 P2 P3 P6 P7; 110000.. P1 P6; 360000/360100 P1 P2 P3 P7;
    # 360102 P1 P2 P7; 360103 P3; 360200/360202 nobody (only uncounted rows).
    "group_shares": """
000000,全国,national,5,2,0.400000,3,0.750000,2,0.500000,2,0.500000
110000,北京市,province,2,1,0.500000,1,1.000000,2,1.000000,2,1.000000
110100,市辖区,city,2,1,0.500000,1,1.000000,2,1.000000,2,1.000000
110101,东城区,county,2,1,0.500000,1,1.000000,2,1.000000,2,1.000000
360000,江西省,province,4,2,0.500000,3,0.750000,1,0.333333,1,0.333333
360100,南昌市,city,4,2,0.500000,3,0.750000,1,0.333333,1,0.333333
360102,东湖区,county,3,1,0.333333,2,0.666667,1,0.333333,1,0.333333
360103,西湖区,county,1,1,1.000000,1,1.000000,0,,0,
360200,景德镇市,city,0,0,,0,,0,,0,
360202,昌江区,county,0,0,,0,,0,,0,
""",
    # Cohorts: 2016 {P7}, 2019 {P1}, 2021 {P2, P6}, 2022 {P3}. Period rows: 2017 and 2019 are
    # left out (nobody active in 2016 / 2018).
    "retention_by_cohort": """
cohort,2016,2016,1,0,0.000000
cohort,2016,2017,1,1,1.000000
cohort,2016,2018,1,0,0.000000
cohort,2016,2019,1,0,0.000000
cohort,2016,2020,1,0,0.000000
cohort,2016,2021,1,0,0.000000
cohort,2016,2022,1,0,0.000000
cohort,2019,2019,1,1,1.000000
cohort,2019,2020,1,1,1.000000
cohort,2019,2021,1,0,0.000000
cohort,2019,2022,1,1,1.000000
cohort,2021,2021,2,2,1.000000
cohort,2021,2022,2,1,0.500000
cohort,2022,2022,1,1,1.000000
period,,2018,1,0,0.000000
period,,2020,1,1,1.000000
period,,2021,2,1,0.500000
period,,2022,2,1,0.500000
""",
    # Nation: 14 applicants, 11 admitted; party 6 of 11 known (X6 X12 X14 unknown); among
    # admitted 4 of 9 known; bachelor 6 of 9 known degrees; ended X5 X7 X9, stayed X5 X9.
    "placements_by_province": """
000000,全国,all,14,11,6,0.545455,4,0.444444,0.666667,3,2,0.666667
000000,全国,rural_education,4,3,2,0.500000,1,0.333333,1.000000,0,0,
000000,全国,rural_construction,1,1,0,0.000000,0,0.000000,0.000000,0,0,
000000,全国,rural_health,2,2,0,0.000000,0,0.000000,0.500000,1,1,1.000000
000000,全国,youth_work,1,1,1,1.000000,1,1.000000,0.000000,0,0,
000000,全国,serve_xinjiang,2,2,1,1.000000,1,1.000000,1.000000,1,1,1.000000
000000,全国,serve_tibet,1,0,1,1.000000,0,,,0,0,
360000,江西省,all,1,0,0,,0,,,0,0,
540000,西藏自治区,all,2,1,2,1.000000,1,1.000000,1.000000,0,0,
540000,西藏自治区,rural_education,1,1,1,1.000000,1,1.000000,1.000000,0,0,
540000,西藏自治区,serve_tibet,1,0,1,1.000000,0,,,0,0,
650000,新疆维吾尔自治区,all,8,7,3,0.500000,2,0.400000,0.600000,1,1,1.000000
650000,新疆维吾尔自治区,rural_education,3,2,1,0.333333,0,0.000000,1.000000,0,0,
650000,新疆维吾尔自治区,rural_construction,1,1,0,0.000000,0,0.000000,0.000000,0,0,
650000,新疆维吾尔自治区,youth_work,1,1,1,1.000000,1,1.000000,0.000000,0,0,
650000,新疆维吾尔自治区,serve_xinjiang,2,2,1,1.000000,1,1.000000,1.000000,1,1,1.000000
660000,新疆生产建设兵团,all,3,3,1,0.333333,1,0.333333,0.666667,2,1,0.500000
660000,新疆生产建设兵团,rural_health,2,2,0,0.000000,0,0.000000,0.500000,1,1,1.000000
""",
    # Serving: 540000 X11; 650000 X3 X4 X13 X14 (rural education exactly 0.25 passes);
    # 660000 X8. 360000 has nobody serving: no rows.
    "programme_checks": """
540000,西藏自治区,township_or_below_posts,1,1,1.000000,>=,0.90,true
540000,西藏自治区,rural_education,1,1,1.000000,>=,0.25,true
540000,西藏自治区,youth_work,1,0,0.000000,<=,0.10,true
540000,西藏自治区,excellent_ratings,1,1,1.000000,<=,0.20,false
650000,新疆维吾尔自治区,township_or_below_posts,4,3,0.750000,>=,0.90,false
650000,新疆维吾尔自治区,rural_education,4,1,0.250000,>=,0.25,true
650000,新疆维吾尔自治区,youth_work,4,1,0.250000,<=,0.10,false
650000,新疆维吾尔自治区,excellent_ratings,4,1,0.250000,<=,0.20,false
660000,新疆生产建设兵团,township_or_below_posts,1,0,0.000000,>=,0.90,false
660000,新疆生产建设兵团,rural_education,1,0,0.000000,>=,0.25,false
660000,新疆生产建设兵团,youth_work,1,0,0.000000,<=,0.10,true
660000,新疆生产建设兵团,excellent_ratings,1,1,1.000000,<=,0.20,false
""",
    # Nation O1 O2 O4 O6 O7: completed 4, closed loop O1 O6 O7, reviewed O1 O2 O4 O6,
    # answered O2 O6.
    "orders_by_region": """
000000,全国,national,5,4,3,0.600000,4,0.800000,2,0.400000
110000,北京市,province,1,1,1,1.000000,0,0.000000,0,0.000000
110100,市辖区,city,1,1,1,1.000000,0,0.000000,0,0.000000
110101,东城区,county,1,1,1,1.000000,0,0.000000,0,0.000000
360000,江西省,province,3,3,2,0.666667,3,1.000000,2,0.666667
360100,南昌市,city,3,3,2,0.666667,3,1.000000,2,0.666667
360102,东湖区,county,1,1,1,1.000000,1,1.000000,0,0.000000
360103,西湖区,county,1,1,0,0.000000,1,1.000000,1,1.000000
""",
}


def self_test_tables():
    """Check the tables other than by_region on the second example.

    Returns [(table, expected, got)] for every table that differs."""
    assert parse_datetime("2022/3/5") == dt.datetime(2022, 3, 5)
    assert parse_datetime("2022-03-05T00:59:59") == dt.datetime(2022, 3, 5, 0, 59, 59)
    assert parse_datetime("2022年3月6日 07:05") == dt.datetime(2022, 3, 6, 7, 5)
    assert parse_datetime("2022-03-05 24:00") is None
    assert birth_date_of({"id_number": "36010219620630001X"}) == dt.date(1962, 6, 30)
    assert birth_date_of({"id_number": "360102196206300011", "birth_date": "1950年1月2日"}) \
        == dt.date(1950, 1, 2)
    assert birth_date_of({"id_number": "360102620630001"}) is None
    assert age_on(dt.date(1962, 6, 30), dt.date(2022, 6, 30)) == 60
    assert age_on(dt.date(1962, 7, 1), dt.date(2022, 6, 30)) == 59
    assert age_on(dt.date(1960, 2, 29), dt.date(2020, 2, 28)) == 59
    assert age_on(dt.date(1960, 2, 29), dt.date(2021, 3, 1)) == 61
    assert service_unit("659001") == ("660000", "新疆生产建设兵团")
    assert service_unit("650102") == ("650000", None)
    # The comparison uses the exact share: 2000001/10000000 is written 0.200000 but fails <= 0.20.
    assert ratio(2000001, 10000000, 6) == "0.200000"
    assert not check_passes(2000001, 10000000, "<=", "0.20")
    assert check_passes(1, 5, "<=", "0.20") and check_passes(9, 10, ">=", "0.90")
    assert not check_passes(8999999, 10000000, ">=", "0.90")

    tables = ["by_region"] + list(TABLES_EXPECTED)
    got = run_example(TABLES_FILES, "p2.yaml", tables)
    failures = []
    for table, body in TABLES_EXPECTED.items():
        expected = TABLES[table][0] + body
        if got[table] != expected:
            failures.append((table, expected, got[table]))
    # group_shares lists exactly the regions of by_region, in the same order.
    regions = [line.split(",")[:3] for line in got["by_region"].splitlines()[1:]]
    shares = [line.split(",")[:3] for line in got["group_shares"].splitlines()[1:]]
    if regions != shares:
        failures.append(("group_shares regions", "\n".join(map(str, regions)) + "\n",
                         "\n".join(map(str, shares)) + "\n"))
    return failures


def main() -> int:
    ap = argparse.ArgumentParser(description="Reference tables for a volstat pipeline.")
    ap.add_argument("pipeline", nargs="?", help="pipeline YAML file")
    ap.add_argument("--as-of", help="YYYY-MM-DD (default: the pipeline's as_of)")
    ap.add_argument("--table", default="by_region", choices=sorted(TABLES),
                    help="which table to print (default: by_region)")
    ap.add_argument("--regions", type=Path, default=None,
                    help="directory with provinces.csv, cities.csv, areas.csv")
    ap.add_argument("--self-test", action="store_true", help="check a hand-computed example")
    args = ap.parse_args()
    if args.self_test:
        self_test()
        return 0
    if not args.pipeline:
        ap.error("a pipeline file is required (or --self-test)")
    try:
        config = load_config(args.pipeline)
        table = compute(config, resolve_as_of(args.as_of, config),
                        args.regions or default_regions_dir(), args.table)
    except (ConfigError, OSError, yaml.YAMLError, ET.ParseError, csv.Error, UnicodeDecodeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(table.encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
