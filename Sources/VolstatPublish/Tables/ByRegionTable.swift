public import VolstatAggregate
public import VolstatCore

/// The `by_region` table: one row per region at every level, with the headline statistics.
public enum ByRegionTable {
    public static let columns: [Table.Column] = [
        .init("region_code", "string", "6-digit GB/T 2260 code; 000000 is the national total"),
        .init("region_name", "string", "name in the GB/T 2260 table (2022 edition)"),
        .init("level", "string", "national, province, city or county"),
        .init(
            "registered", "integer", unit: "persons",
            "distinct persons registered on or before as_of and not deregistered"),
        .init(
            "new_registrations", "integer", unit: "persons",
            "registered persons whose registration is dated in the period"),
        .init(
            "party_members", "integer", unit: "persons",
            "registered persons who are party members (GB/T 4762 01, and 02 probationary unless configured)"),
        .init(
            "party_member_share", "number", unit: "fraction",
            "party_members / (registered - political_status_unknown), 6 decimals"),
        .init("political_status_unknown", "integer", unit: "persons", "registered persons with no political status"),
        .init(
            "total_hours", "number", unit: "hours",
            "verified hours of service records started in the period, in the volunteer's home region"),
        .init("hours_per_capita", "number", unit: "hours per person", "total_hours / registered, 2 decimals"),
        .init("active", "integer", unit: "persons", "distinct persons with at least one verified record in the period"),
        .init("activity_rate", "number", unit: "fraction", "active / registered, 6 decimals"),
        .init(
            "registered_share_of_population", "number", unit: "fraction",
            "registered / population, 6 decimals, when a population table gives the region"),
    ]

    public static func table(_ statistics: [RegionStatistics], regions: RegionTable) -> Table {
        let rows = statistics.map { region -> [String] in
            [
                RegionTable.text(region.code), regions.name(of: region.code) ?? "", region.level.rawValue,
                String(region.registered), String(region.newRegistrations), String(region.partyMembers),
                share(region.partyMemberShare), String(region.politicalStatusUnknown), region.totalHours.formatted,
                DecimalFormat.ratio(region.hoursPerCapita.0, region.hoursPerCapita.1 * 100, scale: 2),
                String(region.active), share(region.activityRate),
                region.registeredShareOfPopulation.map(share) ?? "",
            ]
        }
        return Table(name: "by_region", title: "Volunteers by region", columns: columns, rows: rows)
    }

    static func share(_ ratio: (Int64, Int64)) -> String { DecimalFormat.ratio(ratio.0, ratio.1, scale: 6) }
}
