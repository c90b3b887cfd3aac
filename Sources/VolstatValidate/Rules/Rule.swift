/// A validation rule: a stable code that reports and thresholds refer to, and what it checks.
///
/// Codes have the shape `<field or subject>.<problem>` and never change once published.
public struct Rule: Sendable, Hashable, Comparable {
    public let code: String
    public let summary: String

    public static func < (a: Rule, b: Rule) -> Bool { a.code < b.code }

    // Whole files and rows.
    public static let fileUnreadable = Rule(
        code: "file.unreadable", summary: "the file cannot be read at all (not the format, truncated, corrupt)")
    public static let rowRagged = Rule(
        code: "row.ragged", summary: "a CSV row with more or fewer fields than the header")
    public static let rowMalformed = Rule(
        code: "row.malformed", summary: "a CSV row that is not well-formed (stray quote)")
    public static let encodingInvalid = Rule(
        code: "encoding.invalid", summary: "bytes that are not valid in the file's encoding")
    // Required fields.
    public static let fieldMissing = Rule(code: "field.missing", summary: "a required field is empty or absent")
    // Identity numbers.
    public static let idLength = Rule(
        code: "id_number.length", summary: "not 18 characters (or 15 when legacy numbers are refused)")
    public static let idCharacters = Rule(code: "id_number.characters", summary: "not 17 digits and a digit or X")
    public static let idCheckDigit = Rule(
        code: "id_number.check_digit", summary: "the ISO 7064 MOD 11-2 check character is wrong")
    public static let idBirthDate = Rule(
        code: "id_number.birth_date", summary: "the birth date inside the number is not a real day, or is in the future"
    )
    // Regions.
    public static let regionFormat = Rule(code: "region_code.format", summary: "not a 6-digit code")
    public static let regionUnknown = Rule(code: "region_code.unknown", summary: "not in the GB/T 2260 table (2022)")
    // Dates.
    public static let dateFormat = Rule(
        code: "date.format", summary: "not a date (YYYY-MM-DD, YYYY/M/D, YYYY年M月D日, optionally with a time)")
    public static let dateFuture = Rule(code: "date.future", summary: "after the day of the run")
    public static let dateOrder = Rule(code: "date.order", summary: "ended_at is before started_at")
    public static let ageOutOfRange = Rule(
        code: "birth_date.age_out_of_range", summary: "age at registration outside 14 to 100 years")
    // Hours.
    public static let hoursFormat = Rule(code: "hours.format", summary: "not a non-negative decimal number")
    public static let hoursOutOfRange = Rule(code: "hours.out_of_range", summary: "not more than 0 and at most 24")
    public static let hoursExceedSpan = Rule(
        code: "hours.exceeds_span", summary: "more hours than between started_at and ended_at")
    // Code tables.
    public static let genderUnknown = Rule(code: "gender.unknown", summary: "not M or F after mapping")
    public static let politicalStatusUnknown = Rule(
        code: "political_status.unknown", summary: "not a GB/T 4762 code 01-13 after mapping")
    public static let educationUnknown = Rule(
        code: "education.unknown", summary: "not a GB/T 4658 top-level code after mapping")
    public static let householdUnknown = Rule(code: "household.unknown", summary: "not rural or urban after mapping")
    public static let statusUnknown = Rule(code: "status.unknown", summary: "not active or deregistered after mapping")
    public static let verifiedUnknown = Rule(code: "verified.unknown", summary: "not 1/0, true/false, yes/no, 是/否")
    public static let stageUnknown = Rule(
        code: "stage.unknown", summary: "not applied, admitted, serving or ended after mapping")
    public static let specialProgrammeUnknown = Rule(
        code: "special_programme.unknown", summary: "not a special programme of the Western programme after mapping")
    public static let postLevelUnknown = Rule(
        code: "post_level.unknown", summary: "not township_or_below or county after mapping")
    public static let outcomeUnknown = Rule(
        code: "outcome.unknown", summary: "not stayed_local, left or continuing after mapping")
    public static let ratingUnknown = Rule(
        code: "rating.unknown", summary: "not excellent, pass, basic or fail after mapping")
    public static let degreeUnknown = Rule(
        code: "degree.unknown", summary: "not a GB/T 4658 top-level code after mapping")
    // Duplicates and references.
    public static let recordDuplicate = Rule(
        code: "record.duplicate", summary: "a record_id (source_id for volunteers) seen before; the first is kept")
    public static let personDuplicate = Rule(
        code: "person.duplicate", summary: "the same person registered twice on one platform; the first is kept")
    public static let unknownVolunteer = Rule(
        code: "reference.unknown_volunteer", summary: "a service record whose volunteer_id is not in the registry")
    public static let rejectedVolunteer = Rule(
        code: "reference.rejected_volunteer", summary: "a service record of a volunteer whose registration was rejected"
    )

    /// Every rule, in code order.
    public static let all: [Rule] = [
        fileUnreadable, rowRagged, rowMalformed, encodingInvalid, fieldMissing, idLength, idCharacters, idCheckDigit,
        idBirthDate, regionFormat, regionUnknown, dateFormat, dateFuture, dateOrder, ageOutOfRange, hoursFormat,
        hoursOutOfRange, hoursExceedSpan, genderUnknown, politicalStatusUnknown, educationUnknown, householdUnknown,
        statusUnknown, verifiedUnknown, recordDuplicate, personDuplicate, unknownVolunteer, rejectedVolunteer,
        stageUnknown, specialProgrammeUnknown, postLevelUnknown, outcomeUnknown, ratingUnknown, degreeUnknown,
    ].sorted()

    /// Rules whose rows cannot be counted at all when they fail (the value is needed and unusable):
    /// they are always errors and cannot be made warnings or turned off.
    public static let structural: Set<Rule> = [
        fileUnreadable, rowRagged, rowMalformed, encodingInvalid, fieldMissing, idLength, idCharacters, idCheckDigit,
        idBirthDate, regionFormat, regionUnknown, dateFormat, hoursFormat, unknownVolunteer, rejectedVolunteer,
        stageUnknown,
    ]

    /// Whether the rule can be made a warning or turned off.
    public var isAdjustable: Bool { !Rule.structural.contains(self) }

    /// The rule with a code, if there is one.
    public static func named(_ code: String) -> Rule? { all.first { $0.code == code } }
}
