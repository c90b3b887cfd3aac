import CSystemShims
public import VolstatCore

/// The per-person and per-registration state the statistics need: one `Registration` per
/// accepted registration row and one `Person` per distinct person, in two arrays.
///
/// This is the only state of the aggregate stage that grows with the number of volunteers:
/// 32 bytes per registration and 12 per person. Service records are folded into their
/// registration's hours and activity as they arrive, so they cost nothing per record. Two arrays
/// of records rather than one per field: a registration is two appends, not twelve (each one a
/// uniqueness and a capacity check, and a stream of its own), and the roll-up reads what it
/// needs of a registration from one cache line.
public struct RegistrationStore: Sendable {
    /// One accepted registration.
    public struct Registration: Sendable, Equatable {
        /// Whether it counts as registered on day `end` (days since 1970): registered by then and
        /// not deregistered.
        @inline(__always)
        public func isCounted(through end: Int32) -> Bool { registeredAt <= end && !deregistered }

        /// Verified hours in the period, in hundredths.
        public var hours: Int64 = 0
        /// The years (bit `year - 2000`) in which the registration has a verified record, up to as_of.
        public var activeYears: UInt64 = 0
        public var person: Int32
        public var region: RegionCode
        /// Days since 1970.
        public var registeredAt: Int32
        public var deregistered: Bool
        /// Whether the registration has at least one verified record in the period.
        public var active = false

        /// Adds verified service: `hours` (hundredths) and activity when it lies in the period
        /// (nil when not), and the bits of the years it was in.
        @inline(__always)
        mutating func addService(hours: Int64?, years: UInt64) {
            if let hours {
                self.hours &+= hours
                active = true
            }
            activeYears |= years
        }

        /// Takes out all verified service: no hours, no activity, no active years.
        mutating func clearService() {
            hours = 0
            active = false
            activeYears = 0
        }
    }

    /// One distinct person: the attributes of their first accepted registration (0 = unknown).
    public struct Person: Sendable, Equatable {
        /// Birth date as days since 1970, `Int32.min` when unknown.
        public var birthDate: Int32
        /// How many registrations the person has (more than one needs de-duplication per region).
        /// 32 bits, like the registrations' numbers, so that the count cannot wrap.
        public var registrations: UInt32 = 1
        public var politicalStatus: UInt8
        public var education: UInt8
        public var household: UInt8
    }

    public private(set) var registrations = PrefaultedArray<Registration>()
    public private(set) var persons = PrefaultedArray<Person>()
    /// Whether a file's service records were committed into the registrations' hours and
    /// activity. Until then a file's records can go straight into them, since undoing that file
    /// is clearing them all (`PendingServiceRecords`).
    public private(set) var hasCommittedServiceRecords = false

    public init() {}

    public var registrationCount: Int { registrations.count }
    public var personCount: Int { persons.count }

    /// Whether a person has more than one registration (and needs de-duplication per region).
    @inline(__always)
    public func hasSeveralRegistrations(_ person: Int) -> Bool { persons[person].registrations > 1 }

    /// Makes room for `registrations` registrations and as many persons in all, so that the
    /// arrays do not grow (and copy themselves) on the way there.
    public mutating func reserve(registrations count: Int) {
        registrations.reserveCapacity(count)
        persons.reserveCapacity(count)
    }

    /// The first year a year bit stands for.
    public static let firstYear = 2000

    /// Adds an accepted registration; its index must be the next one (the validator assigns them).
    public mutating func add(_ facts: VolunteerFacts) {
        precondition(Int(facts.registration) == registrations.count, "registrations must arrive in index order")
        let person = facts.person
        if Int(person) == persons.count {
            persons.append(
                Person(
                    birthDate: facts.birthDate?.daysSinceEpoch ?? Int32.min, politicalStatus: facts.politicalStatus,
                    education: facts.education, household: facts.household))
        } else {
            precondition(Int(person) < persons.count, "persons must arrive in index order")
            persons[Int(person)].registrations &+= 1
        }
        registrations.append(
            Registration(
                person: person, region: facts.region, registeredAt: facts.registeredAt.daysSinceEpoch,
                deregistered: facts.deregistered))
    }

    /// Commits a file's delta of hours and activity (indexes beyond the store are ignored).
    mutating func add(_ delta: PendingServiceRecords) {
        registrations.withUnsafeMutableBufferPointer { registrations in
            for index in 0..<min(delta.entries.count, registrations.count) where delta.entries[index].touched {
                let entry = delta.entries[index]
                registrations[index].addService(hours: entry.active ? entry.hours : nil, years: entry.years)
            }
        }
        hasCommittedServiceRecords = true
    }

    /// Adds one service record of the file being written through: `hours` (hundredths, not
    /// negative) when it lies in the period, and its year bit (an index beyond the store is ignored).
    @inline(__always)
    mutating func addServiceRecord(to index: Int, hours: Int64?, yearBit: UInt64) {
        guard index >= 0 && index < registrations.count else { return }
        var registration = registrations[index]
        registration.addService(hours: hours, years: yearBit)
        registrations[index] = registration
    }

    /// Starts loading the registration at `index` into cache (nothing if there is none).
    @inline(__always)
    func prefetchRegistration(_ index: Int) {
        let elements = registrations.unsafeElements
        if index >= 0 && index < elements.count { volstat_prefetch(elements.baseAddress! + index) }
    }

    /// The file written through was read to its end: its records now count.
    mutating func commitServiceRecords() { hasCommittedServiceRecords = true }

    /// The file written through failed part-way: no registration has hours or activity any more.
    mutating func clearServiceRecords() {
        precondition(!hasCommittedServiceRecords, "only a file written through can be cleared")
        registrations.withUnsafeMutableBufferPointer { registrations in
            for index in registrations.indices { registrations[index].clearService() }
        }
    }

    /// A point to roll back to if the file being read fails part-way.
    public struct Checkpoint: Sendable {
        var registrations: Int
        var persons: Int
    }

    public var checkpoint: Checkpoint { Checkpoint(registrations: registrations.count, persons: persons.count) }

    /// Removes every registration and person added since `checkpoint`.
    public mutating func rollBack(to checkpoint: Checkpoint) {
        for index in checkpoint.registrations..<registrations.count {
            let person = Int(registrations[index].person)
            if person < checkpoint.persons { persons[person].registrations &-= 1 }
        }
        registrations.removeSubrange(checkpoint.registrations...)
        if checkpoint.persons < persons.count { persons.removeSubrange(checkpoint.persons...) }
    }
}

/// The service records of one file, which count only once the file has been read to its end: a
/// file that fails part-way adds nothing.
///
/// The first file whose records count goes straight into the store's registrations: undoing it is
/// clearing their hours and activity, since no file's records are there yet. That saves a delta
/// of 16 bytes per registration (160 MB at 10 million volunteers, every page of it cleared by the
/// kernel) and its merge; a record touches one cache line either way. A later file is held back
/// in a dense delta of hours, activity and active years per registration (16 bytes per
/// registration, whatever the number of records, in one array so that a record touches one cache
/// line), merged into the store when the file is committed.
public struct PendingServiceRecords: Sendable {
    /// One registration's delta.
    struct Entry {
        /// Bits 0...62: verified hours in the period, in hundredths; bit 63: a verified record in
        /// the period.
        var hoursAndActive: UInt64 = 0
        /// The years (bit `year - 2000`) with a verified record up to as_of.
        var years: UInt64 = 0

        static let activeBit: UInt64 = 1 << 63
        var hours: Int64 { Int64(bitPattern: hoursAndActive & ~Self.activeBit) }
        var active: Bool { hoursAndActive & Self.activeBit != 0 }
        var touched: Bool { hoursAndActive != 0 || years != 0 }
    }

    /// In memory of its own, zero from the start and on huge pages: a record's entry is a random
    /// access into millions, which on 4 KiB pages also missed the TLB.
    fileprivate(set) var entries = ZeroedArray<Entry>(count: 0)
    /// Whether a record of the file being read was applied (to the store or to the delta).
    private var touched = false
    /// The year bit of the last period seen when it lies within one year (else 0), and that
    /// period's bounds (days since 1970).
    private var periodYearBit: UInt64 = 0
    private var periodBounds: (Int32, Int32) = (Int32.min, Int32.min)

    /// Records whose entry is being brought into cache, applied `lookahead` records later: a
    /// record's entry is a cache miss in an array of millions, and this hides its latency.
    private var inFlight: [ServiceFacts] = []
    private var inFlightNext = 0
    private static let lookahead = 16

    public init() {}

    /// Sizes the delta for `registrations` registrations at once, instead of doubling as records
    /// arrive: for the files after the first that counts, which wait in it. A file's first
    /// counted record sizes it to the store if this was not called before.
    public mutating func reserve(registrations: Int) {
        guard registrations > entries.count else { return }
        grow(to: registrations)
    }

    /// Takes a record of the file being read: its hours and activity count for the period, and
    /// its year counts for retention when it started on or before the period's end (years 2000 to
    /// 2063). While `store.hasCommittedServiceRecords` is false the file's records go straight
    /// into `store`, which shows them before `commit`; otherwise they wait in the delta. Pass the
    /// same store to every call for the file and then to `commit(into:period:)` or
    /// `discard(from:)`.
    public mutating func add(
        _ facts: ServiceFacts, period: ClosedRange<CivilDate>, store: inout RegistrationStore
    ) {
        guard facts.verified, facts.startedAt <= period.upperBound else { return }
        // The flag changes only at a commit, which ends the file: it tells where a file's records
        // go for the whole of the file.
        let writesThrough = !store.hasCommittedServiceRecords
        if !writesThrough, entries.count < store.registrationCount { reserve(registrations: store.registrationCount) }
        let index = Int(facts.registration)
        if writesThrough {
            store.prefetchRegistration(index)
        } else if index < entries.count {
            entries.withUnsafeBufferPointer { volstat_prefetch($0.baseAddress! + index) }
        }
        if inFlight.count < Self.lookahead {
            inFlight.append(facts)
            return
        }
        let due = inFlight[inFlightNext]
        inFlight[inFlightNext] = facts
        inFlightNext = (inFlightNext + 1) % Self.lookahead
        apply(due, period: period, store: &store)
    }

    /// Applies the records still in flight.
    private mutating func flush(period: ClosedRange<CivilDate>, store: inout RegistrationStore) {
        let due = inFlight[inFlightNext...] + inFlight[..<inFlightNext]
        inFlight.removeAll(keepingCapacity: true)
        inFlightNext = 0
        for facts in due { apply(facts, period: period, store: &store) }
    }

    private mutating func apply(
        _ facts: ServiceFacts, period: ClosedRange<CivilDate>, store: inout RegistrationStore
    ) {
        let index = Int(facts.registration)
        touched = true
        if (period.lowerBound.daysSinceEpoch, period.upperBound.daysSinceEpoch) != periodBounds {
            periodBounds = (period.lowerBound.daysSinceEpoch, period.upperBound.daysSinceEpoch)
            let year = period.upperBound.year
            periodYearBit = period.lowerBound.year == year ? Self.yearBit(year) : 0
        }
        let inPeriod = facts.startedAt >= period.lowerBound
        // A period within one year (the pipeline's January 1 to as_of): no calendar arithmetic
        // for a record in it.
        let yearBit = inPeriod && periodYearBit != 0 ? periodYearBit : Self.yearBit(facts.startedAt.year)
        let hours = max(0, facts.hours.hundredths)
        if !store.hasCommittedServiceRecords {
            store.addServiceRecord(to: index, hours: inPeriod ? hours : nil, yearBit: yearBit)
            return
        }
        if index >= entries.count { grow(to: max(index + 1, entries.count * 2, 1024)) }
        entries.withUnsafeMutableBufferPointer { entries in
            if inPeriod {
                entries[index].hoursAndActive = (entries[index].hoursAndActive &+ UInt64(hours)) | Entry.activeBit
            }
            entries[index].years |= yearBit
        }
    }

    /// Replaces the entries by `size` entries that start with the current ones.
    private mutating func grow(to size: Int) { entries = ZeroedArray(count: size, copying: entries) }

    /// Empties the delta for the next file.
    private mutating func clearDelta() { entries.withUnsafeMutableBufferPointer { $0.update(repeating: Entry()) } }

    /// The retention bit of a year (0 outside 2000...2063).
    private static func yearBit(_ year: Int) -> UInt64 {
        let bit = year - RegistrationStore.firstYear
        return bit >= 0 && bit < 64 ? 1 << UInt64(bit) : 0
    }

    /// The file was read to its end: its records count in `store` from now on.
    public mutating func commit(into store: inout RegistrationStore, period: ClosedRange<CivilDate>) {
        flush(period: period, store: &store)
        guard touched else { return }
        touched = false
        if store.hasCommittedServiceRecords {
            store.add(self)
            clearDelta()
        } else {
            store.commitServiceRecords()
        }
    }

    /// The file failed part-way: what it added is taken out of `store` (or the delta) again.
    public mutating func discard(from store: inout RegistrationStore) {
        inFlight.removeAll(keepingCapacity: true)
        inFlightNext = 0
        guard touched else { return }
        touched = false
        if store.hasCommittedServiceRecords {
            clearDelta()
        } else {
            store.clearServiceRecords()
        }
    }
}
