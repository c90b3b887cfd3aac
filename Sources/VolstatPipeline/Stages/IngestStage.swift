import Foundation
import VolstatCore
import VolstatIngest
import VolstatPublish
import VolstatValidate

#if canImport(Glibc)
    import Glibc
#endif

/// The ingest stage: finds each source's files, opens them as canonical rows (decompressing,
/// transcoding, mapping, pseudonymising) and hands every row to the validate stage, and every
/// accepted row to the aggregate stage.
struct IngestStage {
    /// One input file and the source it belongs to.
    struct Input {
        var source: PipelineConfig.Source
        /// The index of the source in the pipeline file (duplicates are judged per source).
        var sourceIndex: Int
        var path: String
        var sha256: String
        var bytes: Int
    }

    let pseudonymiser: Pseudonymiser
    let policy: ValidationPolicy
    let pipelineFile: String
    let progress: PipelineRun.Progress?
    /// The datasets whose tables were sized for all their files before the first was read
    /// (`reserveAhead`): their files' first batches do not size them again, which would make a
    /// table twice when the two estimates differ by more than their margins.
    private(set) var sizedAhead: Set<Dataset> = []

    /// Expands every source's glob and checks that every file can be opened; the digests are
    /// left empty (`InputDigests` computes them). Volunteers come first, so that service records
    /// can be matched against the registry. A glob that matches nothing is a configuration error.
    static func plan(_ config: PipelineConfig) throws -> [Input] {
        var inputs: [Input] = []
        for (index, source) in config.sources.enumerated() {
            let files = SourceFiles.expand(source.path, pipelineFile: config.file)
            guard !files.isEmpty else {
                throw ConfigurationError(
                    file: config.file, keyPath: "\(source.keyPath).path",
                    problem:
                        "'\(source.path)' matches no file (looked in \(FileManager.default.currentDirectoryPath) and beside the pipeline file)"
                )
            }
            for path in files {
                let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
                var status = stat()
                guard descriptor >= 0, fstat(descriptor, &status) == 0 else {
                    let reason = String(cString: strerror(errno))
                    if descriptor >= 0 { close(descriptor) }
                    throw InputError("\(path): cannot read: \(reason)")
                }
                close(descriptor)
                if status.st_mode & S_IFMT == S_IFDIR { throw InputError("\(path): cannot read: it is a directory") }
                inputs.append(
                    Input(source: source, sourceIndex: index, path: path, sha256: "", bytes: Int(status.st_size)))
            }
        }
        let order: [Dataset: Int] = [.volunteers: 0, .serviceRecords: 1, .placements: 2, .orders: 3]
        return inputs.enumerated().sorted { a, b in
            let (left, right) = (order[a.element.source.dataset] ?? 9, order[b.element.source.dataset] ?? 9)
            return left != right ? left < right : a.offset < b.offset
        }.map(\.element)
    }

    /// The inputs with their digests computed, in a pass over each file.
    static func withDigests(_ inputs: [Input]) throws -> [Input] {
        try inputs.map { input in
            var input = input
            do {
                input.sha256 = try Digest.sha256(file: input.path).digest
            } catch {
                throw InputError("\(input.path): cannot read: \(error.localizedDescription)")
            }
            return input
        }
    }

    /// The rows of a CSV input estimated before it is read (`InputFile.estimatedRows`); nil for
    /// an XML file.
    static func estimatedRows(of input: Input) -> Int? {
        guard input.source.format == .csv else { return nil }
        return InputFile.estimatedRows(path: input.path, bytes: input.bytes)
    }

    /// Makes the tables that the rows fill before the first file is read, sized from samples of
    /// the files: the volunteers' (their source ids, the person index, the registrations) and the
    /// service records' (their record ids, and, when there are several records files, the delta
    /// of hours per registration that the files after the first wait in). Their pages are then
    /// faulted in on another thread while the run starts and the volunteers are read, instead of
    /// by the validating thread at its first touch of each (when this was written, at 10 million
    /// volunteers, 480 MB of new pages cleared while it waited when the records began, and the
    /// source-id table's huge pages cleared one by one as the first volunteers went in).
    /// Estimated 1/16 high; the datasets sized so are kept in `sizedAhead`, and their files' first
    /// batches then size nothing. A dataset with a gzip or XML file has no estimate and is sized
    /// at each file's first batch.
    mutating func reserveAhead(_ inputs: [Input], validator: Validator, aggregate: inout AggregateStage) {
        func total(_ dataset: Dataset) -> Int? {
            let files = inputs.filter { $0.source.dataset == dataset }
            let estimates = files.compactMap(Self.estimatedRows)
            guard !files.isEmpty, estimates.count == files.count else { return nil }
            let rows = estimates.reduce(0, +)
            return rows + rows / 16
        }
        let volunteers = total(.volunteers)
        if let volunteers {
            validator.reserve(rows: volunteers, of: .volunteers)
            aggregate.reserve(rows: volunteers, of: .volunteers)
            sizedAhead.insert(.volunteers)
        }
        guard let records = total(.serviceRecords) else { return }
        validator.reserve(rows: records, of: .serviceRecords)
        sizedAhead.insert(.serviceRecords)
        let recordsFiles = inputs.count(where: { $0.source.dataset == .serviceRecords })
        if let volunteers, recordsFiles > 1 { aggregate.reserveHeldBack(registrations: volunteers) }
    }

    /// One digest of the whole set of inputs, references, binary and day of the run: what reuse
    /// and resume compare.
    static func inputsSHA256(
        _ inputs: [Input], references: [Manifest.FileEntry], binary: String, today: CivilDate
    ) -> String {
        Digest.sha256(
            Array(
                (inputs.map { "\($0.source.keyPath) \($0.path) \($0.sha256)\n" }
                    + references.map { "reference \($0.path) \($0.sha256)\n" }
                    + ["volstat \(VolstatVersion.current) \(binary)\n", "today \(today)\n"]).joined().utf8))
    }

    /// The files a run reads besides its sources (today the population table), hashed like the
    /// inputs, so that a changed reference file is a changed run and is listed in the manifest.
    static func planReferences(_ config: PipelineConfig) throws -> [Manifest.FileEntry] {
        guard let population = config.population else { return [] }
        guard let path = SourceFiles.expand(population, pipelineFile: config.file).first else {
            throw ConfigurationError(
                file: config.file, keyPath: "population", problem: "'\(population)' matches no file")
        }
        do {
            let digest = try Digest.sha256(file: path)
            return [Manifest.FileEntry(path: path, bytes: digest.bytes, sha256: digest.digest)]
        } catch {
            throw InputError("\(path): cannot read: \(error.localizedDescription)")
        }
    }

    /// Reads one file to its end. A file that cannot be read from some point on counts as one
    /// `file.unreadable` error and adds nothing to the statistics; a required column missing from
    /// its header stops the run as a configuration error.
    ///
    /// - Returns: the file's SHA-256: the input's own when it was computed up front, else the one
    ///   computed from the bytes as they were read (or, when reading stopped early, from a pass of
    ///   its own; `unreadable` if even that fails).
    func read(
        _ input: Input, ordinal: Int32, validator: Validator, aggregate: inout AggregateStage, report: ValidationReport
    ) throws -> String {
        let digest = input.sha256.isEmpty ? InputDigest() : nil
        report.begin(file: input.path, dataset: input.source.dataset, sha256: input.sha256, bytes: input.bytes)
        aggregate.begin(input.source.dataset)
        let checkpoint = aggregate.checkpoint
        let firstRegistration = validator.registrationCount
        do {
            // Only this file's dataset: a service-records preparation reads the source-id table,
            // which a file of volunteers changes.
            let rows = try open(
                input, digest: digest, preparation: validator.preparation(for: input.source.dataset))
            // The rows as the checks take them, made once: made per call, the conversion cost a
            // retain and a release of `rows` per row.
            let row: any CanonicalRow = rows
            var count = 0
            while try rows.next() {
                count += 1
                if count == 1, !sizedAhead.contains(rows.dataset), let estimate = rows.estimatedRows {
                    // 1/64 more than the estimate: enough for the usual spread of row lengths, and
                    // not so much that a table doubles for rows that never come.
                    let expected = estimate + estimate / 64
                    validator.reserve(rows: expected, of: rows.dataset)
                    aggregate.reserve(rows: expected, of: rows.dataset)
                }
                if count & 0xFFFF == 0, let progress { progress(input.path, rows.bytesConsumed, input.bytes, count) }
                if let problem = rows.problem {
                    validator.rejectUnreadable(
                        rows, rule: Rule.named(problem.ruleCode) ?? .rowMalformed, message: problem.message,
                        column: problem.column)
                    continue
                }
                switch rows.dataset {
                case .volunteers:
                    if let facts = validator.check(
                        volunteer: row, identity: rows.identity, platform: Int32(input.sourceIndex))
                    {
                        aggregate.add(facts)
                    }
                case .serviceRecords:
                    if let facts = validator.check(serviceRecord: row, file: ordinal) {
                        aggregate.add(facts)
                    }
                case .placements:
                    if let facts = validator.check(placement: row, file: ordinal) { aggregate.add(facts) }
                case .orders:
                    if let facts = validator.check(order: row, file: ordinal) { aggregate.add(facts) }
                case .organizations:
                    continue
                }
            }
            aggregate.commitFile()
            progress?(input.path, input.bytes, input.bytes, count)
        } catch let error as MappingError {
            throw ConfigurationError(file: pipelineFile, keyPath: input.source.keyPath, problem: error.message)
        } catch let error as any VolstatFailure where error.kind == .input {
            report.fail(file: input.path, message: error.message)
            validator.rejects.writeUnreadable(file: input.path, dataset: input.source.dataset, message: error.message)
            aggregate.rollBack(to: checkpoint)
            validator.forget(registrationsFrom: firstRegistration, serviceRecordsOfFile: ordinal)
        }
        guard let digest else { return input.sha256 }
        if let sha256 = digest.sha256 { return sha256 }
        return (try? Digest.sha256(file: input.path).digest) ?? Self.unreadableDigest
    }

    /// The digest recorded for a file that could not be read to its end.
    static let unreadableDigest = "unreadable"

    /// Opens the file on a reading thread of its own (`ReadAheadRows`): reading, decoding,
    /// mapping and pseudonymising run there while this thread validates and aggregates (this
    /// thread computes a share of the person keys when the reading thread is the slower).
    private func open(
        _ input: Input, digest: InputDigest?, preparation: RowPreparation?
    ) throws
        -> ReadAheadRows
    {
        let source = input.source
        let path = input.path
        let pseudonymiser = pseudonymiser
        let legacy = policy.legacyIdentityNumbers
        let verify = policy.enabled
        return try ReadAheadRows(file: path, fileBytes: input.bytes, preparation: preparation) {
            let open: @Sendable () throws -> any RecordReader = {
                try RecordReaders.open(
                    path: path, format: source.format, encoding: source.encoding, dialect: source.dialect,
                    recordElement: source.recordElement ?? (source.format == .xml ? "record" : nil),
                    fields: source.format == .xml ? source.mapping.sourceNames : nil, digest: digest,
                    mayMap: source.mapping.dataset.identityNumberField == nil)
            }
            // libxml2's parsing outweighs the rest of the reading thread's work: give it a thread too.
            let reader = source.format == .xml ? try ReadAheadRecordReader(name: path, open: open) : try open()
            return try CanonicalRowReader(
                reader: reader, mapping: source.mapping, pseudonymiser: pseudonymiser, legacy: legacy,
                verifyIdentity: verify)
        }
    }
}
