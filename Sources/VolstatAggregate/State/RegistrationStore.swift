public import VolstatCore

/// The per-person and per-registration state the statistics need, in flat arrays (structure of
/// arrays): one entry per accepted registration row, one per distinct person.
///
/// This is the only state of the aggregate stage that grows with the input: 22 bytes per
/// registration and 3 per person. Service records are folded into their registration's hours.
public struct RegistrationStore: Sendable {
    public private(set) var personOfRegistration: [Int32] = []
    public private(set) var region: [RegionCode] = []
    public private(set) var registeredAt: [Int32] = []
    public private(set) var deregistered: [Bool] = []
    /// Verified hours in the period, in hundredths, per registration.
    public private(set) var hours: [Int64] = []
    /// Whether the registration has at least one verified record in the period.
    public private(set) var active: [Bool] = []

    /// Political status of each person's first accepted registration (0 = unknown).
    public private(set) var politicalStatus: [UInt8] = []
    /// How many registrations each person has (more than one needs de-duplication per region).
    public private(set) var registrationsOfPerson: [UInt16] = []

    public init() {}

    public var registrationCount: Int { region.count }
    public var personCount: Int { politicalStatus.count }

    /// Adds an accepted registration; its index must be the next one (the validator assigns them).
    public mutating func add(_ facts: VolunteerFacts) {
        precondition(Int(facts.registration) == region.count, "registrations must arrive in index order")
        let person = facts.person
        if Int(person) == politicalStatus.count {
            politicalStatus.append(facts.politicalStatus)
            registrationsOfPerson.append(1)
        } else {
            precondition(Int(person) < politicalStatus.count, "persons must arrive in index order")
            registrationsOfPerson[Int(person)] &+= 1
        }
        personOfRegistration.append(person)
        region.append(facts.region)
        registeredAt.append(facts.registeredAt.daysSinceEpoch)
        deregistered.append(facts.deregistered)
        hours.append(0)
        active.append(false)
    }

    /// Adds a service record's verified hours to its registration when it started in `period`.
    public mutating func add(_ facts: ServiceFacts, period: ClosedRange<CivilDate>) {
        guard facts.verified, period.contains(facts.startedAt) else { return }
        let index = Int(facts.registration)
        hours[index] += facts.hours.hundredths
        active[index] = true
    }

    /// Adds a file's delta of hours and activity (indexes beyond the store are ignored).
    public mutating func add(hours delta: [Int64], active activity: [Bool]) {
        for index in 0..<min(delta.count, hours.count) where activity[index] {
            hours[index] += delta[index]
            active[index] = true
        }
    }

    /// A point to roll back to if the file being read fails part-way.
    public struct Checkpoint: Sendable {
        var registrations: Int
        var persons: Int
    }

    public var checkpoint: Checkpoint { Checkpoint(registrations: region.count, persons: politicalStatus.count) }

    /// Removes every registration and person added since `checkpoint`.
    public mutating func rollBack(to checkpoint: Checkpoint) {
        for index in checkpoint.registrations..<region.count {
            let person = Int(personOfRegistration[index])
            if person < checkpoint.persons { registrationsOfPerson[person] &-= 1 }
        }
        personOfRegistration.removeSubrange(checkpoint.registrations...)
        region.removeSubrange(checkpoint.registrations...)
        registeredAt.removeSubrange(checkpoint.registrations...)
        deregistered.removeSubrange(checkpoint.registrations...)
        hours.removeSubrange(checkpoint.registrations...)
        active.removeSubrange(checkpoint.registrations...)
        if checkpoint.persons < politicalStatus.count {
            politicalStatus.removeSubrange(checkpoint.persons...)
            registrationsOfPerson.removeSubrange(checkpoint.persons...)
        }
    }
}

/// The service records of one file, held back until the file has been read to its end, so that
/// a file that fails part-way adds nothing: a dense delta of hours and activity per registration
/// (9 bytes per registration, whatever the number of records).
public struct PendingServiceRecords: Sendable {
    private var hours: [Int64] = []
    private var active: [Bool] = []
    private var touched = false

    public init() {}

    public mutating func add(_ facts: ServiceFacts, period: ClosedRange<CivilDate>) {
        guard facts.verified, period.contains(facts.startedAt) else { return }
        let index = Int(facts.registration)
        if index >= hours.count {
            let size = max(index + 1, hours.count * 2, 1024)
            hours.append(contentsOf: repeatElement(0, count: size - hours.count))
            active.append(contentsOf: repeatElement(false, count: size - active.count))
        }
        hours[index] += facts.hours.hundredths
        active[index] = true
        touched = true
    }

    /// Folds the held records into the store and empties the delta.
    public mutating func commit(into store: inout RegistrationStore) {
        guard touched else { return }
        store.add(hours: hours, active: active)
        discard()
    }

    public mutating func discard() {
        guard touched else { return }
        for index in hours.indices {
            hours[index] = 0
            active[index] = false
        }
        touched = false
    }
}
