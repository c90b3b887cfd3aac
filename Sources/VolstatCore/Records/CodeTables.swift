/// The canonical code tables of DESIGN.md that a source's values are mapped onto.
public enum CodeTables {
    /// GB/T 4762 political status: 01 party member ... 13 masses.
    public static let politicalStatus: Set<String> = Set((1...13).map { $0 < 10 ? "0\($0)" : "\($0)" })
    /// Party members including probationary members (the usual Chinese statistic).
    public static let partyMember: Set<String> = ["01", "02"]
    public static let gender: Set<String> = ["M", "F"]
    /// GB/T 4658 top level; bachelor or above is 10 and 20.
    public static let education: Set<String> = ["10", "20", "30", "40", "60", "70", "80", "90"]
    public static let household: Set<String> = ["rural", "urban"]
    /// Western programme placements.
    public static let stage = ["applied", "admitted", "serving", "ended"]
    public static let specialProgramme = [
        "rural_education", "rural_construction", "rural_health", "youth_work", "rural_governance", "serve_xinjiang",
        "serve_tibet",
    ]
    public static let postLevel = ["township_or_below", "county"]
    public static let outcome = ["stayed_local", "left", "continuing"]
    public static let rating = ["excellent", "pass", "basic", "fail"]
    /// Registration status of a volunteer; missing means active.
    public static let volunteerStatus: Set<String> = ["active", "deregistered"]
}
