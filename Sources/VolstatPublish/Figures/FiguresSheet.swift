public import VolstatAggregate
public import VolstatCore

/// The headline figures an editor prints, in Chinese publication style, each with its definition,
/// data date and source: `figures.md`.
public struct FiguresSheet: Sendable {
    /// One headline figure.
    public struct Figure: Sendable, Equatable {
        public var region: String
        public var label: String
        public var value: String
        public var definition: String
    }

    public var title: String
    public var asOf: CivilDate
    public var sources: [String]
    public var figures: [Figure]

    /// The national figures and those of every province, from `by_region`.
    public init(
        pipeline: String, asOf: CivilDate, sources: [String], statistics: [RegionStatistics], regions: RegionTable
    ) {
        title = pipeline
        self.asOf = asOf
        self.sources = sources
        figures = []
        for region in statistics where region.level == .national || region.level == .province {
            let name = regions.name(of: region.code) ?? RegionTable.text(region.code)
            figures += Self.figures(of: region, name: name, asOf: asOf)
        }
    }

    static func figures(of region: RegionStatistics, name: String, asOf: CivilDate) -> [Figure] {
        var figures: [Figure] = []
        func add(_ label: String, _ value: String?, _ definition: String) {
            guard let value else { return }
            figures.append(Figure(region: name, label: label, value: value, definition: definition))
        }
        add(
            "注册志愿者", ChineseNumberStyle.count(region.registered) + "人",
            "registered: distinct persons registered on or before \(asOf) and not deregistered")
        if let population = region.population {
            add(
                "占常住人口比例", ChineseNumberStyle.percent(region.registered, population),
                "registered / population of the region")
        }
        add(
            "当年新注册", ChineseNumberStyle.count(region.newRegistrations) + "人",
            "registered persons whose registration is dated from \(asOf.startOfYear) to \(asOf)")
        add(
            "党员占比", ChineseNumberStyle.percent(region.partyMemberShare.0, region.partyMemberShare.1),
            "party members (01 and 02 probationary) / registered persons with a known political status; "
                + "\(region.politicalStatusUnknown) of unknown status left out")
        add(
            "志愿服务时长", ChineseNumberStyle.count(region.totalHours.hundredths / 100) + "小时",
            "verified hours of service records started from \(asOf.startOfYear) to \(asOf)")
        add(
            "人均服务时长", ChineseNumberStyle.hours(hundredths: region.totalHours.hundredths, per: region.registered),
            "verified hours / registered persons")
        add(
            "活跃志愿者", ChineseNumberStyle.count(region.active) + "人",
            "persons with at least one verified service record in the period")
        add("活跃率", ChineseNumberStyle.percent(region.active, region.registered), "active / registered")
        return figures
    }

    /// The sheet as Markdown: a table per region with figure, value and definition.
    public var markdown: String {
        var text = "# \(title): headline figures\n\n"
        text += "Data date (as of): \(asOf). Period: \(asOf.startOfYear) to \(asOf).\n"
        text += "Sources: " + sources.joined(separator: ", ") + "\n"
        var currentRegion = ""
        for figure in figures {
            if figure.region != currentRegion {
                currentRegion = figure.region
                text += "\n## \(figure.region)\n\n| 指标 | 数值 | 定义 |\n| --- | --- | --- |\n"
            }
            text += "| \(figure.label) | \(figure.value) | \(figure.definition) |\n"
        }
        return text
    }
}
