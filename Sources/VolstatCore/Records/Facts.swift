/// What the validate stage passes on for an accepted volunteer row: typed values, no raw text.
public struct VolunteerFacts: Sendable, Equatable {
    /// The registration's index, assigned in acceptance order; service records refer to it.
    public var registration: Int32
    /// The person's dense index (the validator numbers distinct persons as it accepts them).
    public var person: Int32
    public var region: RegionCode
    public var registeredAt: CivilDate
    public var deregistered: Bool
    /// GB/T 4762 code as a number (1 = party member ... 13 = masses); 0 when unknown.
    public var politicalStatus: UInt8
    public var birthDate: CivilDate?
    /// 0 unknown, 1 male, 2 female.
    public var gender: UInt8
    /// GB/T 4658 top-level code as a number (10 ... 90); 0 when unknown.
    public var education: UInt8
    /// 0 unknown, 1 rural, 2 urban.
    public var household: UInt8

    public init(
        registration: Int32, person: Int32, region: RegionCode, registeredAt: CivilDate, deregistered: Bool,
        politicalStatus: UInt8, birthDate: CivilDate?, gender: UInt8, education: UInt8, household: UInt8
    ) {
        self.registration = registration
        self.person = person
        self.region = region
        self.registeredAt = registeredAt
        self.deregistered = deregistered
        self.politicalStatus = politicalStatus
        self.birthDate = birthDate
        self.gender = gender
        self.education = education
        self.household = household
    }
}

/// What the validate stage passes on for an accepted service record.
public struct ServiceFacts: Sendable, Equatable {
    /// The registration of the volunteer the record belongs to.
    public var registration: Int32
    public var startedAt: CivilDate
    public var hours: Hours
    public var verified: Bool
    /// The region where the service took place, when the source gives it.
    public var serviceRegion: RegionCode?

    public init(registration: Int32, startedAt: CivilDate, hours: Hours, verified: Bool, serviceRegion: RegionCode?) {
        self.registration = registration
        self.startedAt = startedAt
        self.hours = hours
        self.verified = verified
        self.serviceRegion = serviceRegion
    }
}
