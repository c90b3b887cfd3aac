public import VolstatCore

/// The per-person and per-registration state the statistics need, in flat arrays (structure of
/// arrays): one entry per accepted registration row, one per distinct person.
///
/// This is the only state of the aggregate stage that grows with the number of volunteers:
/// 30 bytes per registration and 9 per person. Service records are folded into their
/// registration's hours and activity as they arrive, so they cost nothing per record.
public struct RegistrationStore: Sendable {
    public private(set) var personOfRegistration: [Int32] = []
    public private(set) var region: [RegionCode] = []
    public private(set) var registeredAt: [Int32] = []
    public private(set) var deregistered: [Bool] = []
    /// Verified hours in the period, in hundredths, per registration.
    public private(set) var hours: [Int64] = []
    /// Whether the registration has at least one verified record in the period.
    public private(set) var active: [Bool] = []
    /// The years (bit `year - 2000`) in which the registration has a verified record, up to as_of.
    public private(set) var activeYears: [UInt64] = []

    /// Attributes of each person's first accepted registration (0 = unknown).
    public private(set) var politicalStatus: [UInt8] = []
    public private(set) var education: [UInt8] = []
    public private(set) var household: [UInt8] = []
    /// Birth date as days since 1970, `Int32.min` when unknown.
    public private(set) var birthDate: [Int32] = []
    /// How many registrations each person has (more than one needs de-duplication per region).
    public private(set) var registrationsOfPerson: [UInt16] = []

    public init() {}

    public var registrationCount: Int { region.count }
    public var personCount: Int { politicalStatus.count }

    /// The first year a year bit stands for.
    public static let firstYear = 2000

    /// Adds an accepted registration; its index must be the next one (the validator assigns them).
    public mutating func add(_ facts: VolunteerFacts) {
        precondition(Int(facts.registration) == region.count, "registrations must arrive in index order")
        let person = facts.person
        if Int(person) == politicalStatus.count {
            politicalStatus.append(facts.politicalStatus)
            education.append(facts.education)
            household.append(facts.household)
            birthDate.append(facts.birthDate?.daysSinceEpoch ?? Int32.min)
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
        activeYears.append(0)
    }

    /// Adds a file's delta of hours and activity (indexes beyond the store are ignored).
    public mutating func add(_ delta: PendingServiceRecords) {
        for index in 0..<min(delta.activeYears.count, hours.count)
        where delta.active[index] || delta.activeYears[index] != 0 {
            hours[index] += delta.hours[index]
            if delta.active[index] { active[index] = true }
            activeYears[index] |= delta.activeYears[index]
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
        let registrations = checkpoint.registrations...
        personOfRegistration.removeSubrange(registrations)
        region.removeSubrange(registrations)
        registeredAt.removeSubrange(registrations)
        deregistered.removeSubrange(registrations)
        hours.removeSubrange(registrations)
        active.removeSubrange(registrations)
        activeYears.removeSubrange(registrations)
        if checkpoint.persons < politicalStatus.count {
            let persons = checkpoint.persons...
            politicalStatus.removeSubrange(persons)
            education.removeSubrange(persons)
            household.removeSubrange(persons)
            birthDate.removeSubrange(persons)
            registrationsOfPerson.removeSubrange(persons)
        }
    }
}

/// The service records of one file, held back until the file has been read to its end, so that
/// a file that fails part-way adds nothing: a dense delta of hours, activity and active years per
/// registration (17 bytes per registration, whatever the number of records).
public struct PendingServiceRecords: Sendable {
    fileprivate(set) var hours: [Int64] = []
    fileprivate(set) var active: [Bool] = []
    fileprivate(set) var activeYears: [UInt64] = []
    private var touched = false

    public init() {}

    /// Holds a record back: its hours and activity count for the period, and its year counts
    /// for retention when it started on or before the period's end.
    public mutating func add(_ facts: ServiceFacts, period: ClosedRange<CivilDate>) {
        guard facts.verified, facts.startedAt <= period.upperBound else { return }
        let index = Int(facts.registration)
        if index >= hours.count {
            let size = max(index + 1, hours.count * 2, 1024)
            hours.append(contentsOf: repeatElement(0, count: size - hours.count))
            active.append(contentsOf: repeatElement(false, count: size - active.count))
            activeYears.append(contentsOf: repeatElement(0, count: size - activeYears.count))
        }
        let year = facts.startedAt.year - RegistrationStore.firstYear
        if (0..<64).contains(year) { activeYears[index] |= 1 << UInt64(year) }
        if facts.startedAt >= period.lowerBound {
            hours[index] += facts.hours.hundredths
            active[index] = true
        }
        touched = true
    }

    /// Folds the held records into the store and empties the delta.
    public mutating func commit(into store: inout RegistrationStore) {
        guard touched else { return }
        store.add(self)
        discard()
    }

    public mutating func discard() {
        guard touched else { return }
        for index in hours.indices {
            hours[index] = 0
            active[index] = false
            activeYears[index] = 0
        }
        touched = false
    }
}
