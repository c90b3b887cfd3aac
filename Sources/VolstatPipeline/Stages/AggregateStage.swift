import VolstatAggregate
import VolstatCore
import VolstatValidate

/// The aggregate stage: folds accepted rows into the registration store as they stream by, holds
/// back a file's service records until the file is read to its end, and rolls up at the end.
struct AggregateStage {
    private(set) var store = RegistrationStore()
    private var pending = PendingServiceRecords()
    let asOf: CivilDate
    let period: ClosedRange<CivilDate>
    private(set) var serviceRecordsInPeriod = 0
    private var pendingInPeriod = 0

    init(asOf: CivilDate) {
        self.asOf = asOf
        period = asOf.startOfYear...asOf
    }

    var checkpoint: RegistrationStore.Checkpoint { store.checkpoint }

    mutating func add(_ facts: VolunteerFacts) { store.add(facts) }

    mutating func add(_ facts: ServiceFacts) {
        if facts.verified && period.contains(facts.startedAt) { pendingInPeriod += 1 }
        pending.add(facts, period: period)
    }

    /// The file was read to its end: its service records count.
    mutating func commitFile() {
        pending.commit(into: &store)
        serviceRecordsInPeriod += pendingInPeriod
        pendingInPeriod = 0
    }

    /// The file failed part-way: forget what it added.
    mutating func rollBack(to checkpoint: RegistrationStore.Checkpoint) {
        pending.discard()
        pendingInPeriod = 0
        store.rollBack(to: checkpoint)
    }

    func byRegion(partyStatuses: Set<UInt8>, population: [RegionCode: Int64]) -> [RegionStatistics] {
        RegionAggregation.byRegion(store, asOf: asOf, partyStatuses: partyStatuses, population: population)
    }
}
