public import VolstatCore

/// The statistics of one region (at any level) for the period of a run: the row of `by_region`.
///
/// Counts are of distinct persons. Shares are exact ratios, rounded half up only when written.
public struct RegionStatistics: Sendable, Equatable {
    public var code: RegionCode
    public var level: RegionLevel
    /// registered(g, as_of): persons with a registration in g dated on or before as_of and not deregistered.
    public var registered: Int64 = 0
    /// Persons counted in `registered` whose registration in g is dated in the period.
    public var newRegistrations: Int64 = 0
    /// Persons counted in `registered` whose political status is a party member (01, or 01/02).
    public var partyMembers: Int64 = 0
    /// Persons counted in `registered` whose political status is missing.
    public var politicalStatusUnknown: Int64 = 0
    /// Verified hours of records started in the period, attributed to the volunteer's home region.
    public var totalHours = Hours.zero
    /// Persons with at least one verified record in the period, in the region of that registration.
    public var active: Int64 = 0
    /// The population of the region, when a population table gives it.
    public var population: Int64?
    /// Group counts among the persons counted in `registered`, each with its known-value denominator.
    public var elderly = GroupCount()
    public var rural = GroupCount()
    public var bachelorOrAbove = GroupCount()
    public var leagueMembers = GroupCount()

    public init(code: RegionCode, level: RegionLevel) {
        self.code = code
        self.level = level
    }

    /// Adds the counts of `other` (of the same region, or of a region that rolls up to this one)
    /// to these: the exact merge of partial aggregates over disjoint sets of persons. The code,
    /// level and population stay as they are.
    public mutating func addCounts(of other: RegionStatistics) {
        registered += other.registered
        newRegistrations += other.newRegistrations
        partyMembers += other.partyMembers
        politicalStatusUnknown += other.politicalStatusUnknown
        totalHours.hundredths += other.totalHours.hundredths
        active += other.active
        elderly.add(other.elderly)
        rural.add(other.rural)
        bachelorOrAbove.add(other.bachelorOrAbove)
        leagueMembers.add(other.leagueMembers)
    }

    /// party_members / (registered - political_status_unknown).
    public var partyMemberShare: (Int64, Int64) { (partyMembers, registered - politicalStatusUnknown) }
    /// total_hours / registered, in hundredths of an hour per person.
    public var hoursPerCapita: (Int64, Int64) { (totalHours.hundredths, registered) }
    /// active / registered.
    public var activityRate: (Int64, Int64) { (active, registered) }
    /// registered / population.
    public var registeredShareOfPopulation: (Int64, Int64)? { population.map { (registered, $0) } }
}

/// How many persons of a group there are among those whose attribute is known.
public struct GroupCount: Sendable, Equatable {
    public var members: Int64 = 0
    public var known: Int64 = 0

    public init(members: Int64 = 0, known: Int64 = 0) {
        self.members = members
        self.known = known
    }

    mutating func add(_ other: GroupCount) {
        members += other.members
        known += other.known
    }

    mutating func count(known isKnown: Bool, member: Bool) {
        guard isKnown else { return }
        known += 1
        if member { members += 1 }
    }
}
