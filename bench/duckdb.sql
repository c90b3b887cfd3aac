-- DuckDB's equivalent of the province rows of volstat's by_region table, for scripts/bench.
--
-- bench/run_duckdb.py replaces @VOLUNTEERS@, @SERVICE_RECORDS@, @OUT@ and @AS_OF@ and runs it;
-- by hand: sed -e "s|@VOLUNTEERS@|bench-data/1000000/volunteers.csv|" ... bench/duckdb.sql | duckdb
--
-- Definitions as in ../shared/DESIGN.md and volstat's aggregation:
--   registered   distinct identity numbers with registered_at <= as_of and status not deregistered
--   party share  registered with political status 01 or 02 / registered with a known status
--   total hours  verified hours of records started in the calendar year of as_of, up to as_of,
--                in the volunteer's home province (first two digits of region_code + 0000)
--   hours per capita = total hours / registered;  activity rate = active / registered, where
--   active = distinct persons with at least one such verified record
-- The ratios are rounded half up in integer arithmetic (shares to 6 decimals, hours to 2), as
-- volstat does; no floating point anywhere.
COPY (
    WITH volunteers AS (
        SELECT source_id, id_number, political_status, registered_at, status,
               left(region_code, 2) || '0000' AS province
        FROM read_csv('@VOLUNTEERS@', header = true, delim = ',', quote = '"', escape = '"',
                      columns = {'source_id': 'VARCHAR', 'id_number': 'VARCHAR', 'gender': 'VARCHAR',
                                 'birth_date': 'DATE', 'political_status': 'VARCHAR',
                                 'education': 'VARCHAR', 'household': 'VARCHAR',
                                 'region_code': 'VARCHAR', 'registered_at': 'DATE',
                                 'status': 'VARCHAR', 'org_id': 'VARCHAR'})
    ),
    records AS (
        SELECT volunteer_id, hours
        FROM read_csv('@SERVICE_RECORDS@', header = true, delim = ',', quote = '"', escape = '"',
                      timestampformat = '%Y-%m-%d %H:%M:%S',
                      columns = {'record_id': 'VARCHAR', 'volunteer_id': 'VARCHAR',
                                 'activity_id': 'VARCHAR', 'org_id': 'VARCHAR',
                                 'region_code': 'VARCHAR', 'started_at': 'TIMESTAMP',
                                 'ended_at': 'TIMESTAMP', 'hours': 'DECIMAL(9,2)',
                                 'verified': 'INTEGER'})
        WHERE verified = 1
          AND started_at >= date_trunc('year', DATE '@AS_OF@')
          AND started_at < DATE '@AS_OF@' + INTERVAL 1 DAY
    ),
    provinces AS (
        SELECT DISTINCT province FROM volunteers
    ),
    registered AS (
        SELECT province,
               count(DISTINCT id_number) AS registered,
               count(DISTINCT id_number) FILTER (WHERE political_status IN ('01', '02')) AS party_members,
               count(DISTINCT id_number) FILTER (WHERE political_status IS NULL) AS political_status_unknown
        FROM volunteers
        WHERE registered_at <= DATE '@AS_OF@' AND coalesce(status, '') <> 'deregistered'
        GROUP BY province
    ),
    service AS (
        SELECT v.province,
               CAST(sum(r.hours) * 100 AS BIGINT) AS hundredths,
               count(DISTINCT v.id_number) AS active
        FROM records r JOIN volunteers v ON r.volunteer_id = v.source_id
        GROUP BY v.province
    ),
    figures AS (
        SELECT p.province AS region_code,
               coalesce(g.registered, 0) AS registered,
               coalesce(g.party_members, 0) AS party_members,
               coalesce(g.political_status_unknown, 0) AS political_status_unknown,
               coalesce(s.hundredths, 0) AS hundredths,
               coalesce(s.active, 0) AS active
        FROM provinces p
        LEFT JOIN registered g USING (province)
        LEFT JOIN service s USING (province)
    )
    SELECT region_code,
           registered,
           party_members,
           CASE WHEN registered - political_status_unknown > 0 THEN
               printf('%d.%06d',
                      (2 * party_members * 1000000 + (registered - political_status_unknown))
                          // (2 * (registered - political_status_unknown)) // 1000000,
                      (2 * party_members * 1000000 + (registered - political_status_unknown))
                          // (2 * (registered - political_status_unknown)) % 1000000)
           END AS party_member_share,
           political_status_unknown,
           printf('%d.%02d', hundredths // 100, hundredths % 100) AS total_hours,
           CASE WHEN registered > 0 THEN
               printf('%d.%02d', (2 * hundredths + registered) // (2 * registered) // 100,
                                 (2 * hundredths + registered) // (2 * registered) % 100)
           END AS hours_per_capita,
           active,
           CASE WHEN registered > 0 THEN
               printf('%d.%06d', (2 * active * 1000000 + registered) // (2 * registered) // 1000000,
                                 (2 * active * 1000000 + registered) // (2 * registered) % 1000000)
           END AS activity_rate
    FROM figures
    ORDER BY region_code
) TO '@OUT@' (FORMAT CSV, HEADER, COMPRESSION GZIP);
