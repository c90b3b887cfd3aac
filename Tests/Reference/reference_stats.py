#!/usr/bin/env python3
"""Independent reference implementation of volstat's `by_region` table.

End-to-end tests run this next to the Swift pipeline and compare the outputs. It is written
from the definitions (docs / DESIGN.md "Statistics"), deliberately shares no code with the Swift
side, and favours obviousness over speed: plain dicts and sets, exact arithmetic with
int / Fraction / Decimal only (never float).

Usage:
  python3 Tests/Reference/reference_stats.py PIPELINE.yaml --as-of YYYY-MM-DD [--regions DIR]
  python3 Tests/Reference/reference_stats.py --self-test

Prints the by_region table as CSV (UTF-8, LF, no BOM) on stdout; warnings about skipped rows
go to stderr. Relative paths in the pipeline file resolve against the current directory.

Supported pipeline subset: `sources` with dataset volunteers / service_records, format csv
(encoding utf-8 | gb18030 | auto, delimiter, columns, values; `.gz` inputs) or xml (record,
fields with "@attr", "child", "a/b", "a/@attr"; the XML declaration decides the encoding),
and `population` (CSV region_code,population). Other keys are ignored.

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
Rows that cannot be used at all (missing source_id / id_number / registered_at, a region_code
that is not 6 digits, an unparseable date; records without volunteer_id, with bad hours,
started_at or verified) are skipped and counted on stderr. Records of unknown volunteers are
ignored. Identity numbers are not checked beyond normalisation.
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
from pathlib import Path

import yaml

HEADER = ("region_code,region_name,level,registered,new_registrations,party_members,"
          "party_member_share,political_status_unknown,total_hours,hours_per_capita,active,"
          "activity_rate,registered_share_of_population")

VOLUNTEER_FIELDS = ("source_id", "id_number", "gender", "birth_date", "political_status",
                    "education", "household", "region_code", "registered_at", "status", "org_id")
SERVICE_FIELDS = ("record_id", "volunteer_id", "activity_id", "org_id", "region_code",
                  "started_at", "ended_at", "hours", "verified")
DATASET_FIELDS = {"volunteers": VOLUNTEER_FIELDS, "service_records": SERVICE_FIELDS}

PARTY_CODES = {"01", "02"}
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

def compute(config, as_of: dt.date, regions_dir: Path) -> str:
    period_start = dt.date(as_of.year, 1, 1)
    sources = config.get("sources") or []
    for s in sources:
        if s.get("dataset") not in DATASET_FIELDS:
            print(f"warning: ignoring source with dataset {s.get('dataset')!r}", file=sys.stderr)
    skipped = Counter()

    political = {}                    # person -> political_status of the first row
    by_source_id = {}                 # source_id -> (person, region_code) of the first row
    levels = {"000000": "national"}   # every region holding a volunteers row -> level
    registered = defaultdict(set)
    new = defaultdict(set)

    for source in (s for s in sources if s.get("dataset") == "volunteers"):
        for path, line, row in read_source(source):
            person = row.get("id_number", "").upper()
            source_id = row.get("source_id", "")
            region = row.get("region_code", "")
            reg_date = parse_date(row.get("registered_at", ""))
            if not person or not source_id or not REGION_RE.fullmatch(region) or reg_date is None:
                skipped["volunteers"] += 1
                print(f"warning: {path}:{line}: unusable volunteers row skipped", file=sys.stderr)
                continue
            political.setdefault(person, row.get("political_status", ""))
            by_source_id.setdefault(source_id, (person, region))
            groups = rollup(region)
            levels.update(groups)
            if reg_date <= as_of and row.get("status", "") != "deregistered":
                for g, _ in groups:
                    registered[g].add(person)
                    if reg_date >= period_start:
                        new[g].add(person)

    hours = defaultdict(int)          # hundredths of an hour
    active = defaultdict(set)
    for source in (s for s in sources if s.get("dataset") == "service_records"):
        for path, line, rec in read_source(source):
            volunteer_id = rec.get("volunteer_id", "")
            amount = parse_hours(rec.get("hours", ""))
            started = parse_date(rec.get("started_at", ""))
            verified = parse_verified(rec["verified"]) if "verified" in rec else True
            if not volunteer_id or amount is None or started is None or verified is None:
                skipped["service_records"] += 1
                print(f"warning: {path}:{line}: unusable service record skipped", file=sys.stderr)
                continue
            if volunteer_id not in by_source_id:
                skipped["unknown volunteer"] += 1
                continue
            if not verified or not (period_start <= started <= as_of):
                continue
            person, region = by_source_id[volunteer_id]
            for g, _ in rollup(region):
                hours[g] += amount
                active[g].add(person)

    population = read_population(config["population"]) if config.get("population") else {}
    names = read_names(regions_dir)

    lines = [HEADER]
    for code in sorted(levels):
        reg = registered[code]
        n_reg = len(reg)
        party = sum(1 for p in reg if political[p] in PARTY_CODES)
        unknown = sum(1 for p in reg if political[p] == "")
        pop = population.get(code, 0)
        fields = [
            code, names.get(code, ""), levels[code], str(n_reg), str(len(new[code])), str(party),
            ratio(party, n_reg - unknown, 6), str(unknown), ratio(hours[code], 100, 2),
            ratio(hours[code], 100 * n_reg, 2), str(len(active[code])),
            ratio(len(active[code]), n_reg, 6), ratio(n_reg, pop, 6),
        ]
        lines.append(",".join(csv_field(f) for f in fields))
    for what, n in sorted(skipped.items()):
        print(f"note: {n} {what} rows/records skipped or ignored", file=sys.stderr)
    return "\n".join(lines) + "\n"


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
    old_cwd = os.getcwd()
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
            config = load_config("p.yaml")
            got = compute(config, resolve_as_of(None, config), Path(tmp) / "regions")
        finally:
            os.chdir(old_cwd)
    if got != SELF_TEST_EXPECTED:
        sys.stderr.write("self-test FAILED\n--- expected\n" + SELF_TEST_EXPECTED + "--- got\n" + got)
        raise SystemExit(1)
    print("self-test passed", file=sys.stderr)


def main() -> int:
    ap = argparse.ArgumentParser(description="Reference by_region table for a volstat pipeline.")
    ap.add_argument("pipeline", nargs="?", help="pipeline YAML file")
    ap.add_argument("--as-of", help="YYYY-MM-DD (default: the pipeline's as_of)")
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
                        args.regions or default_regions_dir())
    except (ConfigError, OSError, yaml.YAMLError, ET.ParseError, csv.Error, UnicodeDecodeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(table.encode("utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
