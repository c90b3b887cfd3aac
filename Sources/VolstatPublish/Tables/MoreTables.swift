public import VolstatAggregate
public import VolstatCore

/// The `group_shares` table: elderly, rural, bachelor-or-above and league-member shares of the
/// registered volunteers of every region, each over the persons whose attribute is known.
public enum GroupSharesTable {
    public static let columns: [Table.Column] = [
        .init("region_code", "string", "6-digit GB/T 2260 code; 000000 is the national total"),
        .init("region_name", "string", "name in the GB/T 2260 table"),
        .init("level", "string", "national, province, city or county"),
        .init("registered", "integer", unit: "persons", "as in by_region"),
        .init("elderly", "integer", unit: "persons", "registered persons aged 60 or more on as_of"),
        .init("elderly_share", "number", unit: "fraction", "elderly / registered persons with a known birth date"),
        .init("rural", "integer", unit: "persons", "registered persons with a rural household"),
        .init("rural_share", "number", unit: "fraction", "rural / registered persons with a known household"),
        .init(
            "bachelor_or_above", "integer", unit: "persons", "registered persons with education 10 or 20 (GB/T 4658)"),
        .init(
            "bachelor_or_above_share", "number", unit: "fraction",
            "bachelor_or_above / registered persons with a known education"),
        .init("league_members", "integer", unit: "persons", "registered persons with political status 03"),
        .init(
            "league_member_share", "number", unit: "fraction",
            "league_members / registered persons with a known political status"),
    ]

    public static func table(_ statistics: [RegionStatistics], regions: RegionTable) -> Table {
        let rows = statistics.map { region -> [String] in
            [
                RegionTable.text(region.code), regions.name(of: region.code) ?? "", region.level.rawValue,
                String(region.registered),
            ]
                + [region.elderly, region.rural, region.bachelorOrAbove, region.leagueMembers].flatMap { group in
                    [String(group.members), DecimalFormat.ratio(group.members, group.known, scale: 6)]
                }
        }
        return Table(name: "group_shares", title: "Groups among registered volunteers", columns: columns, rows: rows)
    }
}

/// The `retention_by_cohort` table: cohort rows (of the persons registered in `cohort_year`, the
/// share active in `year`) and period rows (of the persons active in `year - 1`, the share active
/// again in `year`), nationally.
public enum RetentionTable {
    public static let columns: [Table.Column] = [
        .init("kind", "string", "cohort: registration cohort; period: period over period"),
        .init("cohort_year", "integer", "the registration year of the cohort (empty for period rows)"),
        .init("year", "integer", "the year activity is measured in"),
        .init("base", "integer", unit: "persons", "the cohort's registered persons, or the persons active in year - 1"),
        .init("active", "integer", unit: "persons", "of base, the persons with a verified record started in year"),
        .init("share", "number", unit: "fraction", "active / base, 6 decimals"),
    ]

    public static func table(_ rows: [RetentionRow]) -> Table {
        Table(
            name: "retention_by_cohort", title: "Retention by registration cohort and period over period",
            columns: columns,
            rows: rows.map { row in
                [
                    row.kind, row.cohortYear.map(String.init) ?? "", String(row.year), String(row.base),
                    String(row.retained), DecimalFormat.ratio(row.retained, row.base, scale: 6),
                ]
            })
    }
}

/// The `placements_by_province` table of the Western programme.
public enum PlacementsTable {
    public static let columns: [Table.Column] = [
        .init(
            "service_province_code", "string",
            "province of the service region (PP0000), 660000 for the Xinjiang Production and Construction Corps, 000000 for the nation"
        ),
        .init("service_province_name", "string", "its name"),
        .init("special_programme", "string", "the special programme, or all"),
        .init("applicants", "integer", unit: "placements", "placements in any stage"),
        .init("admitted", "integer", unit: "placements", "placements in stage admitted, serving or ended"),
        .init("party_applicants", "integer", unit: "placements", "applicants who are party members (01, 02)"),
        .init(
            "party_share_applicants", "number", unit: "fraction",
            "party_applicants / applicants with a known political status"),
        .init("party_admitted", "integer", unit: "placements", "admitted who are party members (01, 02)"),
        .init(
            "party_share_admitted", "number", unit: "fraction",
            "party_admitted / admitted with a known political status"),
        .init(
            "bachelor_or_above_share", "number", unit: "fraction",
            "admitted with degree 10 or 20 / admitted with a known degree"),
        .init("ended", "integer", unit: "placements", "stage ended with end_date on or before as_of"),
        .init("stayed_local", "integer", unit: "placements", "ended with outcome stayed_local"),
        .init("retention_rate", "number", unit: "fraction", "stayed_local / ended"),
    ]

    public static func table(_ statistics: [PlacementStatistics], regions: RegionTable) -> Table {
        let rows = statistics.map { row -> [String] in
            [
                RegionTable.text(row.unit), regions.name(of: row.unit) ?? "", row.programmeName, String(row.applicants),
                String(row.admitted), String(row.partyApplicants.members),
                DecimalFormat.ratio(row.partyApplicants.members, row.partyApplicants.known, scale: 6),
                String(row.partyAdmitted.members),
                DecimalFormat.ratio(row.partyAdmitted.members, row.partyAdmitted.known, scale: 6),
                DecimalFormat.ratio(row.bachelorOrAboveAdmitted.members, row.bachelorOrAboveAdmitted.known, scale: 6),
                String(row.ended), String(row.stayedLocal), DecimalFormat.ratio(row.stayedLocal, row.ended, scale: 6),
            ]
        }
        return Table(
            name: "placements_by_province", title: "Western programme placements by service province", columns: columns,
            rows: rows)
    }
}

/// The `programme_checks` table: each structure rule of the Western programme per service province.
public enum ProgrammeChecksTable {
    public static let columns: [Table.Column] = [
        .init("service_province_code", "string", "as in placements_by_province"),
        .init("service_province_name", "string", "its name"),
        .init(
            "rule", "string",
            "township_or_below_posts (>= 0.90), rural_education (>= 0.25), youth_work (<= 0.10), excellent_ratings (<= 0.20)"
        ),
        .init("serving", "integer", unit: "placements", "placements in stage serving"),
        .init("count", "integer", unit: "placements", "serving placements the rule counts"),
        .init("measured_share", "number", unit: "fraction", "count / serving, 6 decimals"),
        .init("comparison", "string", ">= or <="),
        .init("threshold", "number", unit: "fraction", "the rule's threshold"),
        .init("passed", "boolean", "whether the exact share meets the threshold"),
    ]

    public static func table(_ checks: [ProgrammeCheck], regions: RegionTable) -> Table {
        let rows = checks.map { check -> [String] in
            [
                RegionTable.text(check.unit), regions.name(of: check.unit) ?? "", check.rule, String(check.serving),
                String(check.count), DecimalFormat.ratio(check.count, check.serving, scale: 6),
                check.atLeast ? ">=" : "<=", DecimalFormat.fixed(check.thresholdPerMille / 10, scale: 2),
                check.passed ? "true" : "false",
            ]
        }
        return Table(
            name: "programme_checks", title: "Western programme structure rules by service province", columns: columns,
            rows: rows)
    }
}

/// The `orders_by_region` table of time banks and order platforms.
public enum OrdersTable {
    public static let columns: [Table.Column] = [
        .init("region_code", "string", "6-digit GB/T 2260 code of the order's region; 000000 is the national total"),
        .init("region_name", "string", "its name"),
        .init("level", "string", "national, province, city or county"),
        .init("orders", "integer", unit: "orders", "orders requested in the period"),
        .init("completed", "integer", unit: "orders", "orders with completed_at"),
        .init("closed_loop", "integer", unit: "orders", "dispatched, accepted, completed and rated (点派接评)"),
        .init("closed_loop_share", "number", unit: "fraction", "closed_loop / orders"),
        .init("reviewed_within_1h", "integer", unit: "orders", "reviewed_at - requested_at <= 60 minutes"),
        .init("reviewed_within_1h_share", "number", unit: "fraction", "reviewed_within_1h / orders"),
        .init("answered_within_1h", "integer", unit: "orders", "accepted_at - requested_at <= 60 minutes"),
        .init("answered_within_1h_share", "number", unit: "fraction", "answered_within_1h / orders"),
    ]

    public static func table(_ statistics: [OrderStatistics], regions: RegionTable) -> Table {
        let rows = statistics.map { row -> [String] in
            [
                RegionTable.text(row.code), regions.name(of: row.code) ?? "", row.level.rawValue, String(row.orders),
                String(row.completed), String(row.closedLoop),
                DecimalFormat.ratio(row.closedLoop, row.orders, scale: 6),
                String(row.reviewedWithinOneHour), DecimalFormat.ratio(row.reviewedWithinOneHour, row.orders, scale: 6),
                String(row.answeredWithinOneHour), DecimalFormat.ratio(row.answeredWithinOneHour, row.orders, scale: 6),
            ]
        }
        return Table(name: "orders_by_region", title: "Orders by region", columns: columns, rows: rows)
    }
}
