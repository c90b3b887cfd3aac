public import VolstatCore

/// The validate stage: checks each canonical row against the rules, writes rejected rows to the
/// reject sink, counts everything in the report, and passes the accepted rows on as typed facts.
///
/// It also keeps the state that rules across rows need: the source ids of accepted volunteers
/// (for references and duplicates), the persons of each platform, and the record ids seen.
public final class Validator {
    public let policy: ValidationPolicy
    public let report: ValidationReport
    public let rejects: RejectSink
    private let regions: RegionTable
    private let today: CivilDate
    private let context: RuleContext
    private let ageRange: AgeRangeCheck

    /// Source id -> registration index of accepted volunteers; -1 for rejected ones.
    private let registrations = ByteKeyTable()
    /// Distinct persons of the accepted registrations, numbered densely.
    private let persons = PersonIndex()
    /// Per person, the first of their registrations; the duplicate rule (one registration per
    /// person and platform) walks from it through `nextRegistrationOfPerson`.
    private var firstRegistrationOfPerson = PrefaultedArray<Int32>()
    /// For a registration, the same person's next one: an entry only where the person has a later
    /// registration (a dictionary rather than 4 bytes per registration: 40 MB at 10 million).
    /// Empty with validation off, where nothing reads it.
    private var nextRegistrationOfPerson: [Int32: Int32] = [:]
    /// The platform of each registration, as runs over the registration numbers, each starting
    /// where the platform changes (registrations are numbered in the order the files are read, a
    /// source's files one after another): a handful of runs, against an array of 4 bytes per
    /// registration. Empty with validation off, where nothing reads it.
    private var platformRuns: [(first: Int32, platform: Int32)] = []
    /// Fingerprints of the record ids seen, each with the file that added it first.
    private let serviceRecordIDs: FingerprintTable
    private let placementIDs: FingerprintTable
    private let orderIDs: FingerprintTable
    /// The registrations accepted so far: the number the next one gets.
    public private(set) var registrationCount: Int32 = 0

    /// - Parameter seed: seeds the fingerprints of record ids; derive it from the secret so that
    ///   nobody can craft colliding ids.
    public init(
        policy: ValidationPolicy, regions: RegionTable, today: CivilDate, report: ValidationReport, rejects: RejectSink,
        seed: UInt64 = 0x2545_F491_4F6C_DD1D
    ) {
        self.policy = policy
        self.regions = regions
        self.today = today
        self.report = report
        self.rejects = rejects
        context = RuleContext(policy: policy, regions: regions, today: today)
        ageRange = AgeRangeCheck(policy.ageRange)
        serviceRecordIDs = FingerprintTable(seed: seed)
        placementIDs = FingerprintTable(seed: seed)
        orderIDs = FingerprintTable(seed: seed)
    }

    /// What a reader on another thread can compute for the checks of a file of `dataset`: the
    /// hashes of the key fields for this validator's tables always; while that thread is ahead
    /// of this one, also both datasets' dates and region codes, the service records' hours, and
    /// the service records' volunteers looked up in the source ids (which nothing changes while
    /// a file of service records is read). With validation off, only the key hashes and the
    /// lookup, which the reading of the statistics' fields needs as much.
    public func preparation(for dataset: Dataset) -> RowPreparation? {
        switch dataset {
        case .volunteers:
            var volunteers = RowPreparation(fieldCount: Dataset.volunteers.fields.count)
            volunteers.set(VolunteerField.sourceID, .keyHash(seed: registrations.hashSeed))
            guard policy.enabled else { return volunteers }
            // Also the volunteers' dates go to whichever thread has time: the reading thread, which
            // computes every person key, is the slower of the two on a file of volunteers.
            volunteers.set(VolunteerField.registeredAt, .timestamp, onlyWhenAhead: true)
            volunteers.set(VolunteerField.birthDate, .timestamp, onlyWhenAhead: true)
            volunteers.set(VolunteerField.regionCode, .regionCode, onlyWhenAhead: true)
            return volunteers
        case .serviceRecords:
            var records = RowPreparation(fieldCount: Dataset.serviceRecords.fields.count)
            records.set(ServiceRecordField.volunteerID, .keyHash(seed: registrations.hashSeed))
            records.lookUp(ServiceRecordField.volunteerID, in: registrations.slotView)
            guard policy.enabled else { return records }
            records.set(ServiceRecordField.recordID, .fingerprint(seed: serviceRecordIDs.seed))
            // Service records' dates are parsed by whichever thread has time: always on the reading
            // thread measured 9 % slower at 1 million volunteers, where that thread is as busy as
            // this one, and 18-26 % faster at 10 million, where this one waits on memory.
            records.set(ServiceRecordField.startedAt, .timestamp, onlyWhenAhead: true)
            records.set(ServiceRecordField.endedAt, .timestamp, onlyWhenAhead: true)
            records.set(ServiceRecordField.hours, .hours, onlyWhenAhead: true)
            records.set(ServiceRecordField.regionCode, .regionCode, onlyWhenAhead: true)
            return records
        default:
            return nil
        }
    }

    /// The probe of a source id in `registrations`, from the hash the reader prepared if it did.
    @inline(__always)
    private func registrationProbe(
        _ fields: RowFields, _ field: Int, _ bytes: UnsafeRawBufferPointer
    )
        -> ByteKeyTable.Probe
    {
        let hash = fields.prepared(field, else: .keyHash(seed: registrations.hashSeed), bytes)
        return registrations.probe(bytes, hash: UInt64(bitPattern: hash))
    }

    /// Starts loading what accepting the volunteer `lookahead` rows further on looks up: its
    /// source id's slot and its person's entry.
    @inline(__always)
    private func prefetchVolunteerLookups(_ row: any CanonicalRow, _ fields: RowFields) {
        prefetchRegistration(fields, VolunteerField.sourceID)
        if let ahead = row.identityAhead(RowPreparation.lookahead)?.personKey { persons.prefetch(ahead) }
    }

    /// A registration as the reading thread's lookup (`RowFields.resolved`) gives it: nil when the
    /// source id is not in the table.
    private static func registration(resolved: Int64) -> Int32? {
        resolved == RowPreparation.notFound ? nil : Int32(truncatingIfNeeded: resolved)
    }

    /// Starts loading the `registrations` slot of the source id `lookahead` rows further on.
    @inline(__always)
    private func prefetchRegistration(_ fields: RowFields, _ field: Int) {
        if let hash = fields.prepared(field, ahead: RowPreparation.lookahead) {
            registrations.prefetch(hash: UInt64(bitPattern: hash))
        }
    }

    /// Makes room in the tables for a file of about `rows` rows of `dataset`, so that they do not
    /// grow row by row (each growth rehashes every entry and briefly holds two tables).
    public func reserve(rows: Int, of dataset: Dataset) {
        guard rows > 0 else { return }
        switch dataset {
        case .volunteers:
            registrations.reserve(registrations.count + rows)
            persons.reserve(persons.count + rows)
            firstRegistrationOfPerson.reserveCapacity(firstRegistrationOfPerson.count + rows)
        case .serviceRecords: serviceRecordIDs.reserve(serviceRecordIDs.count + rows)
        case .placements: placementIDs.reserve(placementIDs.count + rows)
        case .orders: orderIDs.reserve(orderIDs.count + rows)
        case .organizations: break
        }
    }

    /// Reports a row that could not be read at all (ragged, malformed, invalid encoding).
    public func rejectUnreadable(_ row: any CanonicalRow, rule: Rule, message: String, column: Int?) {
        var finding = Finding(rule: rule, message: message)
        if let column { finding.column = "column \(column)" }
        conclude(row, findings: [finding])
    }

    /// Checks a volunteer row; returns its facts when accepted.
    /// - Parameter platform: the pipeline source the row comes from (duplicates are per platform).
    public func check(volunteer row: any CanonicalRow, identity: IdentityCheck?, platform: Int32) -> VolunteerFacts? {
        guard policy.enabled else { return read(volunteer: row, identity: identity) }
        var checks = RowChecks(row: row, context: context)
        let sourceID = checks.present(VolunteerField.sourceID, required: true)
        let person = checkIdentity(identity, into: &checks)
        // The duplicate lookups below are cache misses: start loading the slots of a row further on.
        prefetchVolunteerLookups(row, checks.fields)
        let sourceProbe = sourceID.map { registrationProbe(checks.fields, VolunteerField.sourceID, $0) }
        let region = checks.region(VolunteerField.regionCode, required: true)
        let registered = checks.date(VolunteerField.registeredAt, required: true)
        var birthDate = checks.date(VolunteerField.birthDate, required: false)?.date ?? identity?.birthDate
        if let birth = birthDate, let registered = registered?.date,
            !ageRange.contains(born: birth, on: registered)
        {
            let age = AgeRangeCheck.age(born: birth, on: registered)
            checks.add(
                .ageOutOfRange, field: VolunteerField.birthDate,
                "age at registration is \(age), outside \(policy.ageRange.lowerBound) to \(policy.ageRange.upperBound)",
                value: birth.description)
            if policy.severity(.ageOutOfRange) == .error { birthDate = nil }
        }
        let political = checks.code(
            VolunteerField.politicalStatus, rule: .politicalStatusUnknown, table: .politicalStatus)
        let gender = checks.code(VolunteerField.gender, rule: .genderUnknown, table: .gender)
        let education = checks.code(VolunteerField.education, rule: .educationUnknown, table: .education)
        let household = checks.code(VolunteerField.household, rule: .householdUnknown, table: .household)
        let status = checks.code(VolunteerField.status, rule: .statusUnknown, table: .volunteerStatus)
        // One probe for the duplicate check and for storing the source id afterwards.
        let sourceLookup = sourceProbe.map { registrations.lookup($0) }
        if let sourceID, !checks.hasError, (sourceLookup?.value ?? -1) >= 0 {
            let text = FieldText.display(sourceID)
            checks.add(
                .recordDuplicate, field: VolunteerField.sourceID,
                "source_id '\(text)' was already registered; the first row is kept", value: text)
        }
        if let person, !checks.hasError, let first = registration(of: person, onPlatform: platform) {
            checks.add(
                .personDuplicate, field: VolunteerField.idNumber,
                "the same identity number is already registered on this platform (registration \(first + 1)); the first is kept",
                value: row.maskedIdentityNumber)
        }
        guard conclude(row, findings: checks.findings), let sourceProbe, let sourceLookup, let person, let region,
            let registered
        else {
            if let sourceProbe, let sourceLookup, sourceLookup.value == nil {
                registrations.insert(-1, for: sourceProbe, at: sourceLookup.slot)
            }
            return nil
        }
        let (index, personIndex) = accept(
            sourceID: sourceProbe, at: sourceLookup.slot, person: person, platform: platform)
        return VolunteerFacts(
            registration: index, person: personIndex, region: region, registeredAt: registered.date,
            deregistered: status == 2, politicalStatus: political, birthDate: birthDate, gender: gender,
            education: education, household: household)
    }

    /// Numbers an accepted registration and its person, and links it to the person's others.
    /// - Parameter slot: the slot `lookup` found for the source id (`insert` replaces the value
    ///   of a source id seen before); nil when it was not looked up.
    private func accept(
        sourceID: ByteKeyTable.Probe, at slot: Int?, person: PersonKey, platform: Int32
    ) -> (
        Int32, Int32
    ) {
        let index = registrationCount
        if let slot {
            registrations.insert(index, for: sourceID, at: slot)
        } else {
            registrations.update(index, for: sourceID)
        }
        registrationCount += 1
        let (personIndex, inserted) = persons.insert(person)
        if policy.enabled, platformRuns.last?.platform != platform { platformRuns.append((index, platform)) }
        if inserted {
            firstRegistrationOfPerson.append(index)
        } else if policy.enabled {
            var last = firstRegistrationOfPerson[Int(personIndex)]
            while let next = nextRegistrationOfPerson[last] { last = next }
            nextRegistrationOfPerson[last] = index
        }
        return (index, personIndex)
    }

    /// The platform of an accepted registration: that of the last run starting at or before it.
    private func platformOfRegistration(_ registration: Int32) -> Int32 {
        var (low, high) = (0, platformRuns.count)
        while high - low > 1 {
            let middle = (low + high) / 2
            if platformRuns[middle].first <= registration { low = middle } else { high = middle }
        }
        return platformRuns[low].platform
    }

    /// The person's registration on `platform`, if they already have one.
    private func registration(of person: PersonKey, onPlatform platform: Int32) -> Int32? {
        guard let personIndex = persons.index(of: person) else { return nil }
        var registration: Int32? = firstRegistrationOfPerson[Int(personIndex)]
        while let current = registration {
            if platformOfRegistration(current) == platform { return current }
            registration = nextRegistrationOfPerson[current]
        }
        return nil
    }

    /// Checks a service record row; returns its facts when accepted. A record without a
    /// `verified` value (or from a source without the field) counts as verified.
    /// - Parameter file: the ordinal of the file, so that a failed file's record ids can be forgotten.
    public func check(serviceRecord row: any CanonicalRow, file: Int32) -> ServiceFacts? {
        guard policy.enabled else { return read(serviceRecord: row) }
        var checks = RowChecks(row: row, context: context)
        let recordID = checks.present(ServiceRecordField.recordID, required: true).map { bytes in
            UInt64(
                bitPattern: checks.fields.prepared(
                    ServiceRecordField.recordID, else: .fingerprint(seed: serviceRecordIDs.seed), bytes))
        }
        let volunteerID = checks.present(ServiceRecordField.volunteerID, required: true)
        // The two lookups at the end are cache misses in tables of millions: start loading the
        // slots of a row further on, so that they are in cache when that row is checked.
        if let ahead = checks.fields.prepared(ServiceRecordField.recordID, ahead: RowPreparation.lookahead) {
            serviceRecordIDs.prefetch(UInt64(bitPattern: ahead))
        }
        // The reading thread may have looked the volunteer up already (`RowPreparation.lookup`).
        let resolved = checks.fields.resolved
        if resolved == nil { prefetchRegistration(checks.fields, ServiceRecordField.volunteerID) }
        let volunteerProbe =
            resolved == nil
            ? volunteerID.map { registrationProbe(checks.fields, ServiceRecordField.volunteerID, $0) } : nil
        let hours = checkHours(&checks)
        let started = checks.date(ServiceRecordField.startedAt, required: true)
        let ended = checks.date(ServiceRecordField.endedAt, required: false)
        if let started, let ended {
            if ended < started {
                checks.add(
                    .dateOrder, field: ServiceRecordField.endedAt, "ended_at is before started_at",
                    value: "\(ended.date)")
            } else if let hours, hours.hundredths * 36 > ended.secondsSinceEpoch - started.secondsSinceEpoch {
                let span = Hours(hundredths: (ended.secondsSinceEpoch - started.secondsSinceEpoch) / 36)
                checks.add(
                    .hoursExceedSpan, field: ServiceRecordField.hours,
                    "\(hours.formatted) hours is more than the \(span.formatted) hours between started_at and ended_at",
                    value: hours.formatted)
            }
        }
        var verified = true
        if let bytes = checks.present(ServiceRecordField.verified, required: false) {
            if let parsed = FieldText.verified(bytes) {
                verified = parsed
            } else {
                checks.add(
                    .verifiedUnknown, field: ServiceRecordField.verified,
                    "verified '\(FieldText.display(bytes))' is not 1/0, true/false, yes/no or 是/否",
                    value: FieldText.display(bytes))
            }
        }
        let serviceRegion = checks.region(ServiceRecordField.regionCode, required: false)
        var registration: Int32?
        // The volunteer's entry: nil without a volunteer id, .some(nil) when not in the registry.
        let found: Int32?? =
            resolved.map(Self.registration(resolved:))
            ?? volunteerProbe.map { registrations.value(for: $0) }
        if let volunteerID, let found {
            switch found {
            case .some(let index) where index >= 0:
                registration = index
            case .some:
                let text = FieldText.display(volunteerID)
                checks.add(
                    .rejectedVolunteer, field: ServiceRecordField.volunteerID,
                    "volunteer '\(text)' was rejected at registration", value: text)
            case .none:
                let text = FieldText.display(volunteerID)
                checks.add(
                    .unknownVolunteer, field: ServiceRecordField.volunteerID,
                    "volunteer '\(text)' is not in the registry", value: text)
            }
        }
        let recordSlot = checkDuplicate(
            recordID, in: serviceRecordIDs, field: ServiceRecordField.recordID, &checks)
        guard conclude(row, findings: checks.findings), let recordID, let registration, let hours, let started else {
            return nil
        }
        serviceRecordIDs.insert(recordID, file: file, at: recordSlot)
        return ServiceFacts(
            registration: registration, startedAt: started.date, hours: hours, verified: verified,
            serviceRegion: serviceRegion)
    }

    /// Checks a placement of the Western programme; returns its facts when accepted.
    public func check(placement row: any CanonicalRow, file: Int32) -> PlacementFacts? {
        var checks = RowChecks(row: row, context: context)
        let placementID = checks.present(PlacementField.placementID, required: true).map {
            placementIDs.fingerprint($0)
        }
        _ = checks.present(PlacementField.volunteerID, required: true)
        var stage: UInt8 = 0
        if checks.present(PlacementField.stage, required: true) != nil {
            stage = checks.code(PlacementField.stage, rule: .stageUnknown, table: .stage)
        }
        let region = checks.region(PlacementField.serviceRegionCode, required: true)
        let programme = checks.code(
            PlacementField.specialProgramme, rule: .specialProgrammeUnknown, table: .specialProgramme)
        let postLevel = checks.code(PlacementField.postLevel, rule: .postLevelUnknown, table: .postLevel)
        let start = checks.date(PlacementField.startDate, required: false)
        let end = checks.date(PlacementField.endDate, required: false)
        if let start, let end, end < start {
            checks.add(.dateOrder, field: PlacementField.endDate, "end_date is before start_date", value: "\(end.date)")
        }
        let outcome = checks.code(PlacementField.outcome, rule: .outcomeUnknown, table: .outcome)
        let degree = checks.code(PlacementField.degree, rule: .degreeUnknown, table: .education)
        let political = checks.code(
            PlacementField.politicalStatus, rule: .politicalStatusUnknown, table: .politicalStatus)
        let rating = checks.code(PlacementField.rating, rule: .ratingUnknown, table: .rating)
        let placementSlot = checkDuplicate(
            placementID, in: placementIDs, field: PlacementField.placementID, &checks)
        guard conclude(row, findings: checks.findings), let placementID, let region, stage > 0 else { return nil }
        placementIDs.insert(placementID, file: file, at: placementSlot)
        return PlacementFacts(
            serviceUnit: RegionTable.serviceUnit(of: region), stage: stage, specialProgramme: programme,
            postLevel: postLevel, endDate: end?.date, outcome: outcome, degree: degree, politicalStatus: political,
            rating: rating)
    }

    /// Checks an order of a time bank or order platform; returns its facts when accepted.
    public func check(order row: any CanonicalRow, file: Int32) -> OrderFacts? {
        var checks = RowChecks(row: row, context: context)
        let orderID = checks.present(OrderField.orderID, required: true).map { orderIDs.fingerprint($0) }
        let requested = checks.date(OrderField.requestedAt, required: true)
        var steps: [Timestamp?] = []
        for field in [
            OrderField.reviewedAt, OrderField.dispatchedAt, OrderField.acceptedAt, OrderField.completedAt,
            OrderField.ratedAt,
        ] {
            let moment = checks.date(field, required: false)
            if let moment, let requested, moment < requested {
                checks.add(
                    .dateOrder, field: field, "\(Dataset.orders.fields[field]) is before requested_at",
                    value: row.value(field).map(FieldText.display))
            }
            steps.append(moment)
        }
        let region = checks.region(OrderField.regionCode, required: false)
        let orderSlot = checkDuplicate(orderID, in: orderIDs, field: OrderField.orderID, &checks)
        guard conclude(row, findings: checks.findings), let orderID, let requested else { return nil }
        orderIDs.insert(orderID, file: file, at: orderSlot)
        return OrderFacts(
            region: region, requestedAt: requested, reviewedAt: steps[0], dispatchedAt: steps[1], acceptedAt: steps[2],
            completedAt: steps[3], ratedAt: steps[4])
    }

    /// Validation off: reads only what the statistics need; a row without it is still rejected.
    private func read(volunteer row: any CanonicalRow, identity: IdentityCheck?) -> VolunteerFacts? {
        var checks = RowChecks(row: row, context: context)
        let sourceID = checks.present(VolunteerField.sourceID, required: true)
        // As in `check(volunteer:)`: the lookups in `accept` are cache misses.
        prefetchVolunteerLookups(row, checks.fields)
        let person = identity?.personKey
        if person == nil {
            checks.add(.fieldMissing, field: VolunteerField.idNumber, "id_number is required but empty")
        }
        var region: RegionCode?
        if let bytes = checks.present(VolunteerField.regionCode, required: true) {
            region = RegionTable.parseCode(bytes)
            if region == nil {
                checks.add(.regionFormat, field: VolunteerField.regionCode, "region_code is not 6 digits")
            }
        }
        var registered: CivilDate?
        if let bytes = checks.present(VolunteerField.registeredAt, required: true) {
            registered = CivilDate(parsing: bytes)
            if registered == nil {
                checks.add(.dateFormat, field: VolunteerField.registeredAt, "registered_at is not a date")
            }
        }
        let political = row.value(VolunteerField.politicalStatus).flatMap(FieldText.twoDigitCode) ?? 0
        let deregistered = row.value(VolunteerField.status).map { FieldText.equals($0, "deregistered") } ?? false
        guard conclude(row, findings: checks.findings), let sourceID, let person, let region, let registered else {
            return nil
        }
        let (index, personIndex) = accept(
            sourceID: registrationProbe(checks.fields, VolunteerField.sourceID, sourceID), at: nil, person: person,
            platform: 0)
        return VolunteerFacts(
            registration: index, person: personIndex, region: region, registeredAt: registered,
            deregistered: deregistered,
            politicalStatus: political <= 13 ? political : 0, birthDate: nil, gender: 0, education: 0, household: 0)
    }

    /// Validation off: reads only what the statistics need from a service record.
    private func read(serviceRecord row: any CanonicalRow) -> ServiceFacts? {
        var checks = RowChecks(row: row, context: context)
        var registration: Int32?
        // As in `check(serviceRecord:)`: the reading thread may have looked the volunteer up, else
        // the slot of a row further on is loaded while this one is looked up.
        let resolved = checks.fields.resolved
        if resolved == nil { prefetchRegistration(checks.fields, ServiceRecordField.volunteerID) }
        if let bytes = checks.present(ServiceRecordField.volunteerID, required: true) {
            let found: Int32? =
                resolved.map(Self.registration(resolved:))
                ?? registrations.value(for: registrationProbe(checks.fields, ServiceRecordField.volunteerID, bytes))
            registration = found.flatMap { $0 >= 0 ? $0 : nil }
            if registration == nil {
                checks.add(.unknownVolunteer, field: ServiceRecordField.volunteerID, "volunteer is not in the registry")
            }
        }
        var hours: Hours?
        if let bytes = checks.present(ServiceRecordField.hours, required: true) {
            hours = Hours(parsing: bytes)
            if hours == nil { checks.add(.hoursFormat, field: ServiceRecordField.hours, "hours is not a number") }
        }
        var started: CivilDate?
        if let bytes = checks.present(ServiceRecordField.startedAt, required: true) {
            started = CivilDate(parsing: bytes)
            if started == nil {
                checks.add(.dateFormat, field: ServiceRecordField.startedAt, "started_at is not a date")
            }
        }
        let verified =
            row.value(ServiceRecordField.verified).flatMap { $0.count > 0 ? FieldText.verified($0) : nil } ?? true
        guard conclude(row, findings: checks.findings), let registration, let hours, let started else { return nil }
        return ServiceFacts(
            registration: registration, startedAt: started, hours: hours, verified: verified, serviceRegion: nil)
    }

    /// Forgets what was accepted from a file that failed part-way, so that its rows count nowhere.
    public func forget(registrationsFrom first: Int32, serviceRecordsOfFile file: Int32) {
        if first < registrationCount {
            registrations.removeAll { $0 >= first }
            let firstPerson = firstRegistrationOfPerson.firstIndex { $0 >= first } ?? firstRegistrationOfPerson.count
            persons.truncate(to: firstPerson)
            firstRegistrationOfPerson.removeSubrange(firstPerson...)
            registrationCount = first
            platformRuns.removeAll { $0.first >= first }
            // A link points to a later registration, so none from a forgotten one is left.
            nextRegistrationOfPerson = nextRegistrationOfPerson.filter { $0.value < first }
        }
        serviceRecordIDs.forget(file: file)
        placementIDs.forget(file: file)
        orderIDs.forget(file: file)
    }

    private func checkIdentity(_ identity: IdentityCheck?, into checks: inout RowChecks) -> PersonKey? {
        guard let identity else {
            checks.add(.fieldMissing, field: VolunteerField.idNumber, "id_number is required but empty")
            return nil
        }
        if let problem = identity.problem {
            let (rule, message): (Rule, String) =
                switch problem {
                case .length(let count): (.idLength, "the identity number has \(count) characters, expected 18")
                case .characters: (.idCharacters, "the identity number must be 17 digits and a digit or X")
                case .checkDigit: (.idCheckDigit, "the identity number's check character (ISO 7064 MOD 11-2) is wrong")
                case .birthDate: (.idBirthDate, "the birth date inside the identity number is not a real day")
                }
            checks.add(rule, field: VolunteerField.idNumber, message, value: checks.row.maskedIdentityNumber)
            return nil
        }
        if let birth = identity.birthDate, birth > today {
            checks.add(
                .idBirthDate, field: VolunteerField.idNumber,
                "the birth date inside the identity number is in the future",
                value: nil)
            return nil
        }
        return identity.personKey
    }

    /// The duplicate rule for a record id: one probe of `table`, which reports an id seen
    /// before (on a row without other errors) and returns the entry where the id goes, for the
    /// insert once the row is accepted (-1 when there is none to give: the insert then probes).
    private func checkDuplicate(
        _ id: UInt64?, in table: FingerprintTable, field: Int, _ checks: inout RowChecks
    ) -> Int {
        guard let id, !checks.hasError else { return -1 }
        let found = table.lookup(id)
        guard found.found else { return found.slot }
        let text = checks.row.value(field).map(FieldText.display) ?? ""
        checks.add(
            .recordDuplicate, field: field, "\(checks.fieldName(field)) '\(text)' was seen before; the first is kept",
            value: text)
        return -1
    }

    private func checkHours(_ checks: inout RowChecks) -> Hours? {
        guard let bytes = checks.present(ServiceRecordField.hours, required: true) else { return nil }
        let hundredths = checks.fields.prepared(ServiceRecordField.hours, else: .hours, bytes)
        guard hundredths != RowPreparation.invalid, case let hours = Hours(hundredths: hundredths) else {
            checks.add(
                .hoursFormat, field: ServiceRecordField.hours,
                "hours '\(FieldText.display(bytes))' is not a non-negative decimal number",
                value: FieldText.display(bytes))
            return nil
        }
        guard hours.hundredths > 0, hours.hundredths <= 2400 else {
            checks.add(
                .hoursOutOfRange, field: ServiceRecordField.hours,
                "hours \(hours.formatted) is outside the range of one record (more than 0, at most 24)",
                value: FieldText.display(bytes))
            return policy.severity(.hoursOutOfRange) == .error ? nil : hours
        }
        return hours
    }

    /// Counts the row and writes its errors to the reject sink; true when the row is accepted.
    @discardableResult
    private func conclude(_ row: any CanonicalRow, findings: [Finding]) -> Bool {
        var rejected = false
        for finding in findings {
            switch policy.severity(finding.rule) {
            case .error:
                rejected = true
                rejects.write(row: row, finding: finding)
            case .warning, .off:
                break
            }
        }
        report.count(findings: findings, rejected: rejected, policy: policy)
        return !rejected
    }
}
