import VolstatAggregate
import VolstatCore
import VolstatValidate

/// The aggregate stage: folds accepted rows into the registration store as they stream by, counts
/// a file's service records only once the file is read to its end (`PendingServiceRecords`), and
/// rolls up at the end.
struct AggregateStage {
    private(set) var store = RegistrationStore()
    private var pending = PendingServiceRecords()
    private(set) var placements: PlacementAccumulator
    private(set) var orders: OrderAccumulator
    /// Placements and orders of the file being read, held back until it is read to its end.
    private var pendingPlacements: [PlacementFacts] = []
    private var pendingOrders: [OrderFacts] = []
    /// The datasets that had at least one file.
    private(set) var datasets: Set<Dataset> = []
    let asOf: CivilDate
    let period: ClosedRange<CivilDate>
    private(set) var serviceRecordsInPeriod = 0
    private var pendingInPeriod = 0

    init(asOf: CivilDate) {
        self.asOf = asOf
        period = asOf.startOfYear...asOf
        placements = PlacementAccumulator(asOf: asOf)
        orders = OrderAccumulator(period: asOf.startOfYear...asOf)
    }

    mutating func begin(_ dataset: Dataset) { datasets.insert(dataset) }

    /// Sizes the delta of service records for about `registrations` registrations before the
    /// records come, for a run with several records files (see `IngestStage.reserveAhead`): the
    /// first of them goes straight into the store, the others wait in the delta.
    mutating func reserveHeldBack(registrations: Int) { pending.reserve(registrations: registrations) }

    /// Makes room for a file of about `rows` rows of `dataset`.
    mutating func reserve(rows: Int, of dataset: Dataset) {
        if dataset == .volunteers { store.reserve(registrations: store.registrationCount + rows) }
    }

    mutating func add(_ facts: PlacementFacts) { pendingPlacements.append(facts) }

    mutating func add(_ facts: OrderFacts) { pendingOrders.append(facts) }

    var checkpoint: RegistrationStore.Checkpoint { store.checkpoint }

    mutating func add(_ facts: VolunteerFacts) { store.add(facts) }

    mutating func add(_ facts: ServiceFacts) {
        if facts.verified && period.contains(facts.startedAt) { pendingInPeriod += 1 }
        pending.add(facts, period: period, store: &store)
    }

    /// The file was read to its end: its service records count.
    mutating func commitFile() {
        pending.commit(into: &store, period: period)
        serviceRecordsInPeriod += pendingInPeriod
        pendingInPeriod = 0
        for facts in pendingPlacements { placements.add(facts) }
        for facts in pendingOrders { orders.add(facts) }
        pendingPlacements.removeAll(keepingCapacity: true)
        pendingOrders.removeAll(keepingCapacity: true)
    }

    /// The file failed part-way: forget what it added.
    mutating func rollBack(to checkpoint: RegistrationStore.Checkpoint) {
        pending.discard(from: &store)
        pendingInPeriod = 0
        pendingPlacements.removeAll(keepingCapacity: true)
        pendingOrders.removeAll(keepingCapacity: true)
        store.rollBack(to: checkpoint)
    }

    /// The statistics by region and the retention table, computed side by side on two threads.
    func rollUp(
        partyStatuses: Set<UInt8>, population: [RegionCode: Int64]
    ) throws -> (regions: [RegionStatistics], retention: [RetentionRow]) {
        let store = store
        let asOf = asOf
        return try concurrently(
            { RegionAggregation.byRegion(store, asOf: asOf, partyStatuses: partyStatuses, population: population) },
            { Retention.rows(store, asOf: asOf) })
    }
}
