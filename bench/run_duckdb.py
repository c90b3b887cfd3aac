#!/usr/bin/env python3
"""Run bench/duckdb.sql through DuckDB's Python module.

Usage: run_duckdb.py DATA_DIR OUT.csv.gz [--as-of 2022-12-31] [--threads N]

Reads DATA_DIR/volunteers.csv and DATA_DIR/service_records.csv and writes the per-province
figures to OUT.csv.gz (gzip CSV with header). scripts/bench times this process as a whole with
/usr/bin/time -v, the same way it times volstat, so Python's start-up and the import of duckdb
are part of the measurement (about 0.1 s and 50-60 MB).
"""

import argparse
import sys
from pathlib import Path

import duckdb


def sql_string(text: str) -> str:
    return text.replace("'", "''")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--as-of", default="2022-12-31")
    ap.add_argument("--threads", type=int, help="DuckDB threads (default: DuckDB's, the number of cores)")
    args = ap.parse_args()
    sql = (Path(__file__).resolve().parent / "duckdb.sql").read_text(encoding="utf-8")
    replacements = {
        "@VOLUNTEERS@": str(args.data_dir.resolve() / "volunteers.csv"),
        "@SERVICE_RECORDS@": str(args.data_dir.resolve() / "service_records.csv"),
        "@OUT@": str(args.out.resolve()),
        "@AS_OF@": args.as_of,
    }
    for key, value in replacements.items():
        sql = sql.replace(key, sql_string(value))
    con = duckdb.connect(":memory:")
    if args.threads:
        con.execute(f"SET threads = {int(args.threads)}")
    con.execute(sql)
    con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
