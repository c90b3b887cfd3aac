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

/// What the validate stage passes on for an accepted placement of the Western programme.
public struct PlacementFacts: Sendable, Equatable {
    /// The service province (`PP0000`), or `660000` for the Xinjiang Production and Construction
    /// Corps (service codes `6590xx`).
    public var serviceUnit: RegionCode
    /// 1 applied, 2 admitted, 3 serving, 4 ended.
    public var stage: UInt8
    /// Index + 1 into `CodeTables.specialProgramme`; 0 when none.
    public var specialProgramme: UInt8
    /// 1 township or below, 2 county; 0 unknown.
    public var postLevel: UInt8
    public var endDate: CivilDate?
    /// 1 stayed local, 2 left, 3 continuing; 0 unknown.
    public var outcome: UInt8
    /// GB/T 4658 top-level code as a number; 0 unknown.
    public var degree: UInt8
    /// GB/T 4762 code as a number; 0 unknown.
    public var politicalStatus: UInt8
    /// 1 excellent, 2 pass, 3 basic, 4 fail; 0 unknown.
    public var rating: UInt8

    public init(
        serviceUnit: RegionCode, stage: UInt8, specialProgramme: UInt8, postLevel: UInt8, endDate: CivilDate?,
        outcome: UInt8, degree: UInt8, politicalStatus: UInt8, rating: UInt8
    ) {
        self.serviceUnit = serviceUnit
        self.stage = stage
        self.specialProgramme = specialProgramme
        self.postLevel = postLevel
        self.endDate = endDate
        self.outcome = outcome
        self.degree = degree
        self.politicalStatus = politicalStatus
        self.rating = rating
    }
}

/// What the validate stage passes on for an accepted order of a time bank or order platform.
public struct OrderFacts: Sendable, Equatable {
    public var region: RegionCode?
    public var requestedAt: Timestamp
    public var reviewedAt: Timestamp?
    public var dispatchedAt: Timestamp?
    public var acceptedAt: Timestamp?
    public var completedAt: Timestamp?
    public var ratedAt: Timestamp?

    public init(
        region: RegionCode?, requestedAt: Timestamp, reviewedAt: Timestamp?, dispatchedAt: Timestamp?,
        acceptedAt: Timestamp?, completedAt: Timestamp?, ratedAt: Timestamp?
    ) {
        self.region = region
        self.requestedAt = requestedAt
        self.reviewedAt = reviewedAt
        self.dispatchedAt = dispatchedAt
        self.acceptedAt = acceptedAt
        self.completedAt = completedAt
        self.ratedAt = ratedAt
    }

    /// Reviewed at most 60 minutes after the request.
    public var reviewedWithinOneHour: Bool { within(reviewedAt) }
    /// Accepted (answered) at most 60 minutes after the request.
    public var answeredWithinOneHour: Bool { within(acceptedAt) }
    /// Dispatched, accepted, completed and rated: the order-dispatch-accept-rate loop (点派接评).
    public var closedLoop: Bool { dispatchedAt != nil && acceptedAt != nil && completedAt != nil && ratedAt != nil }

    private func within(_ moment: Timestamp?) -> Bool {
        guard let moment else { return false }
        return moment.secondsSinceEpoch - requestedAt.secondsSinceEpoch <= 3600
    }
}
