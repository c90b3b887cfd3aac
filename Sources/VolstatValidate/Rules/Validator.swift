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

    /// Source id -> registration index of accepted volunteers; -1 for rejected ones.
    private var registrations: [String: Int32] = [:]
    /// (platform, person) -> registration index.
    private var personsByPlatform: [PlatformPerson: Int32] = [:]
    /// Service record id -> the ordinal of the file it was first seen in.
    private var serviceRecordIDs: [String: Int32] = [:]
    public private(set) var registrationCount: Int32 = 0

    private struct PlatformPerson: Hashable {
        var platform: Int32
        var person: PersonKey
    }

    public init(
        policy: ValidationPolicy, regions: RegionTable, today: CivilDate, report: ValidationReport, rejects: RejectSink
    ) {
        self.policy = policy
        self.regions = regions
        self.today = today
        self.report = report
        self.rejects = rejects
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
        var checks = RowChecks(row: row, policy: policy, regions: regions, today: today)
        let sourceIDBytes = checks.present(VolunteerField.sourceID, required: true)
        let sourceID = sourceIDBytes.map { String(decoding: $0, as: UTF8.self) }
        let person = checkIdentity(identity, into: &checks)
        let region = checks.region(VolunteerField.regionCode, required: true)
        let registered = checks.date(VolunteerField.registeredAt, required: true)
        var birthDate = checks.date(VolunteerField.birthDate, required: false)?.date ?? identity?.birthDate
        if let birth = birthDate, let registered = registered?.date {
            let age = Self.age(born: birth, on: registered)
            if !policy.ageRange.contains(age) {
                checks.add(
                    .ageOutOfRange, field: VolunteerField.birthDate,
                    "age at registration is \(age), outside \(policy.ageRange.lowerBound) to \(policy.ageRange.upperBound)",
                    value: birth.description)
                if policy.severity(.ageOutOfRange) == .error { birthDate = nil }
            }
        }
        let political = checks.code(
            VolunteerField.politicalStatus, rule: .politicalStatusUnknown, valid: CodeTables.politicalStatus
        ) { UInt8($0) ?? 0 }
        let gender = checks.code(VolunteerField.gender, rule: .genderUnknown, valid: CodeTables.gender) {
            $0 == "M" ? 1 : 2
        }
        let education = checks.code(VolunteerField.education, rule: .educationUnknown, valid: CodeTables.education) {
            UInt8($0) ?? 0
        }
        let household = checks.code(VolunteerField.household, rule: .householdUnknown, valid: CodeTables.household) {
            $0 == "rural" ? 1 : 2
        }
        let status = checks.code(VolunteerField.status, rule: .statusUnknown, valid: CodeTables.volunteerStatus) {
            $0 == "deregistered" ? 2 : 1
        }
        if let sourceID, !checks.hasError, (registrations[sourceID] ?? -1) >= 0 {
            checks.add(
                .recordDuplicate, field: VolunteerField.sourceID,
                "source_id '\(PrivacyFilter.mask(sourceID))' was already registered; the first row is kept",
                value: PrivacyFilter.mask(sourceID))
        }
        if let person, !checks.hasError,
            let first = personsByPlatform[PlatformPerson(platform: platform, person: person)]
        {
            checks.add(
                .personDuplicate, field: VolunteerField.idNumber,
                "the same identity number is already registered on this platform (registration \(first + 1)); the first is kept",
                value: identity?.masked)
        }
        guard conclude(row, findings: checks.findings), let sourceID, let person, let region, let registered else {
            if let sourceID, registrations[sourceID] == nil { registrations[sourceID] = -1 }
            return nil
        }
        let index = registrationCount
        registrationCount += 1
        registrations[sourceID] = index
        personsByPlatform[PlatformPerson(platform: platform, person: person)] = index
        return VolunteerFacts(
            registration: index, person: person, region: region, registeredAt: registered.date,
            deregistered: status == 2, politicalStatus: political, birthDate: birthDate, gender: gender,
            education: education, household: household)
    }

    /// Checks a service record row; returns its facts when accepted. A record without a
    /// `verified` value (or from a source without the field) counts as verified.
    /// - Parameter file: the ordinal of the file, so that a failed file's record ids can be forgotten.
    public func check(serviceRecord row: any CanonicalRow, file: Int32) -> ServiceFacts? {
        var checks = RowChecks(row: row, policy: policy, regions: regions, today: today)
        let recordID = checks.present(ServiceRecordField.recordID, required: true).map {
            String(decoding: $0, as: UTF8.self)
        }
        let volunteerID = checks.present(ServiceRecordField.volunteerID, required: true).map {
            String(decoding: $0, as: UTF8.self)
        }
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
        if let volunteerID {
            switch registrations[volunteerID] {
            case .some(let index) where index >= 0:
                registration = index
            case .some:
                checks.add(
                    .rejectedVolunteer, field: ServiceRecordField.volunteerID,
                    "volunteer '\(PrivacyFilter.mask(volunteerID))' was rejected at registration",
                    value: PrivacyFilter.mask(volunteerID))
            case .none:
                checks.add(
                    .unknownVolunteer, field: ServiceRecordField.volunteerID,
                    "volunteer '\(PrivacyFilter.mask(volunteerID))' is not in the registry",
                    value: PrivacyFilter.mask(volunteerID))
            }
        }
        if let recordID, !checks.hasError, serviceRecordIDs[recordID] != nil {
            checks.add(
                .recordDuplicate, field: ServiceRecordField.recordID,
                "record_id '\(PrivacyFilter.mask(recordID))' was seen before; the first is kept",
                value: PrivacyFilter.mask(recordID))
        }
        guard conclude(row, findings: checks.findings), let recordID, let registration, let hours, let started else {
            return nil
        }
        serviceRecordIDs[recordID] = file
        return ServiceFacts(
            registration: registration, startedAt: started.date, hours: hours, verified: verified,
            serviceRegion: serviceRegion)
    }

    /// Forgets what was accepted from a file that failed part-way, so that its rows count nowhere.
    public func forget(registrationsFrom first: Int32, serviceRecordsOfFile file: Int32) {
        if first < registrationCount {
            registrations = registrations.filter { $0.value < first }
            personsByPlatform = personsByPlatform.filter { $0.value < first }
            registrationCount = first
        }
        serviceRecordIDs = serviceRecordIDs.filter { $0.value != file }
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
            checks.add(rule, field: VolunteerField.idNumber, message, value: identity.masked)
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

    private func checkHours(_ checks: inout RowChecks) -> Hours? {
        guard let bytes = checks.present(ServiceRecordField.hours, required: true) else { return nil }
        guard let hours = Hours(parsing: bytes) else {
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
        report.count(file: row.file, findings: findings, rejected: rejected, policy: policy)
        return !rejected
    }

    /// Whole years between a birth date and a day.
    static func age(born: CivilDate, on day: CivilDate) -> Int {
        let (by, bm, bd) = born.components
        let (y, m, d) = day.components
        return y - by - ((m, d) < (bm, bd) ? 1 : 0)
    }
}
