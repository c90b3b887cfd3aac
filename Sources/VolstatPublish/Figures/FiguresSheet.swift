public import VolstatAggregate
public import VolstatCore

/// The headline figures an editor prints, in Chinese publication style, each with its definition,
/// data date and source: `figures.md`.
public struct FiguresSheet: Sendable {
    /// One headline figure.
    public struct Figure: Sendable, Equatable {
        public var section: String
        public var label: String
        public var value: String
        public var definition: String
    }

    /// What the figures are taken from; each part is optional, as a pipeline has the datasets it has.
    public struct Input: Sendable {
        public var regions: [RegionStatistics] = []
        public var placements: PlacementAccumulator?
        public var orders: [OrderStatistics] = []

        public init(
            regions: [RegionStatistics] = [], placements: PlacementAccumulator? = nil, orders: [OrderStatistics] = []
        ) {
            self.regions = regions
            self.placements = placements
            self.orders = orders
        }
    }

    public var title: String
    public var asOf: CivilDate
    public var sources: [String]
    public var figures: [Figure] = []

    public init(pipeline: String, asOf: CivilDate, sources: [String], input: Input, regions: RegionTable) {
        title = pipeline
        self.asOf = asOf
        self.sources = sources
        for region in input.regions where region.level == .national || region.level == .province {
            let name = regions.name(of: region.code) ?? RegionTable.text(region.code)
            figures += volunteerFigures(region, section: name)
        }
        if let placements = input.placements, !placements.isEmpty {
            figures += placementFigures(placements, regions: regions)
        }
        for order in input.orders where order.level == .national || order.level == .city {
            let name = regions.name(of: order.code) ?? RegionTable.text(order.code)
            figures += orderFigures(order, section: "\(name)（订单）")
        }
    }

    private func volunteerFigures(_ region: RegionStatistics, section: String) -> [Figure] {
        var figures: [Figure] = []
        func add(_ label: String, _ value: String?, _ definition: String) {
            guard let value else { return }
            figures.append(Figure(section: section, label: label, value: value, definition: definition))
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
        add(
            "活跃率", ChineseNumberStyle.percent(region.active, region.registered),
            "active / registered (regularly active volunteers)")
        add(
            "60岁以上占比", ChineseNumberStyle.percent(region.elderly.members, region.elderly.known),
            "aged 60 or more on \(asOf) / registered with a known birth date")
        add(
            "农村户籍占比", ChineseNumberStyle.percent(region.rural.members, region.rural.known),
            "rural household / registered with a known household")
        add(
            "本科及以上学历占比", ChineseNumberStyle.percent(region.bachelorOrAbove.members, region.bachelorOrAbove.known),
            "education 10 or 20 (GB/T 4658) / registered with a known education")
        add(
            "共青团员占比", ChineseNumberStyle.percent(region.leagueMembers.members, region.leagueMembers.known),
            "political status 03 / registered with a known political status")
        return figures
    }

    private func placementFigures(_ placements: PlacementAccumulator, regions: RegionTable) -> [Figure] {
        var figures: [Figure] = []
        let section = "西部计划"
        func add(_ label: String, _ value: String?, _ definition: String) {
            guard let value else { return }
            figures.append(Figure(section: section, label: label, value: value, definition: definition))
        }
        let all = placements.statistics
        if let nation = all.first(where: { $0.unit == RegionTable.national && $0.programme == 0 }) {
            add("报名人数", ChineseNumberStyle.count(nation.applicants) + "人", "placements in any stage (applicants)")
            add("录取人数", ChineseNumberStyle.count(nation.admitted) + "人", "placements admitted, serving or ended")
            add(
                "报名者中党员占比",
                ChineseNumberStyle.percent(nation.partyApplicants.members, nation.partyApplicants.known, decimals: 2),
                "party members (01, 02) / applicants with a known political status")
            add(
                "录取者中党员占比", ChineseNumberStyle.percent(nation.partyAdmitted.members, nation.partyAdmitted.known),
                "party members (01, 02) / admitted with a known political status")
            add(
                "录取者本科及以上学历占比",
                ChineseNumberStyle.percent(
                    nation.bachelorOrAboveAdmitted.members, nation.bachelorOrAboveAdmitted.known),
                "degree 10 or 20 / admitted with a known degree")
            add(
                "服务期满留在当地比例", ChineseNumberStyle.percent(nation.stayedLocal, nation.ended),
                "stayed_local / ended (stage ended, end date on or before \(asOf))")
        }
        let frontier = placements.retention(programmes: ["serve_xinjiang", "serve_tibet"])
        add(
            "服务新疆、西藏专项期满留疆留藏比例", ChineseNumberStyle.percent(frontier.stayed, frontier.ended),
            "stayed_local / ended, special programmes serve_xinjiang and serve_tibet together (\(frontier.stayed) of \(frontier.ended))"
        )
        if let corps = all.first(where: { $0.unit == RegionTable.productionCorps && $0.programme == 0 }),
            corps.ended > 0
        {
            add(
                "新疆生产建设兵团期满留团比例",
                ChineseNumberStyle.percent(corps.stayedLocal, corps.ended).map {
                    "\($0)（\(corps.stayedLocal)/\(corps.ended)人）"
                },
                "stayed_local / ended, service region in the Corps' cities (6590xx)")
        }
        let checks = placements.checks
        let units = Set(checks.map(\.unit))
        let failing = Set(checks.filter { !$0.passed }.map(\.unit))
        if !units.isEmpty {
            add(
                "结构要求全部达标的服务省份", "\(units.count - failing.count)/\(units.count)",
                "provinces whose serving placements meet all four rules (township posts >= 90 %, rural education >= 25 %, youth work <= 10 %, excellent <= 20 %); failing: "
                    + (failing.isEmpty
                        ? "none"
                        : failing.sorted().map { regions.name(of: $0) ?? RegionTable.text($0) }.joined(separator: "、")))
        }
        return figures
    }

    private func orderFigures(_ order: OrderStatistics, section: String) -> [Figure] {
        var figures: [Figure] = []
        func add(_ label: String, _ value: String?, _ definition: String) {
            guard let value else { return }
            figures.append(Figure(section: section, label: label, value: value, definition: definition))
        }
        add("订单数", ChineseNumberStyle.count(order.orders) + "单", "orders requested from \(asOf.startOfYear) to \(asOf)")
        add(
            "1小时内审核率", ChineseNumberStyle.percent(order.reviewedWithinOneHour, order.orders, decimals: 2),
            "orders reviewed at most 60 minutes after the request / orders")
        add(
            "1小时内响应率", ChineseNumberStyle.percent(order.answeredWithinOneHour, order.orders, decimals: 2),
            "orders accepted at most 60 minutes after the request / orders")
        add(
            "“点派接评”闭环率", ChineseNumberStyle.percent(order.closedLoop, order.orders),
            "orders dispatched, accepted, completed and rated / orders")
        return figures
    }

    /// The sheet as Markdown: a table per section with figure, value and definition.
    public var markdown: String {
        var text = "# \(title): headline figures\n\n"
        text += "Data date (as of): \(asOf). Period: \(asOf.startOfYear) to \(asOf).\n"
        text += "Sources: " + sources.joined(separator: ", ") + "\n"
        var current = ""
        for figure in figures {
            if figure.section != current {
                current = figure.section
                text += "\n## \(figure.section)\n\n| 指标 | 数值 | 定义 |\n| --- | --- | --- |\n"
            }
            text += "| \(figure.label) | \(figure.value) | \(figure.definition) |\n"
        }
        return text
    }
}
