import Foundation
import VolstatCore
import VolstatIngest
import VolstatValidate
import Yams

/// Reads and checks a pipeline file. Every mistake is a `ConfigurationError` with the file, the
/// line and column, the key path and what was expected.
public enum PipelineLoader {
    public static func load(path: String) throws -> PipelineConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(file: path, keyPath: "", problem: "cannot read the pipeline file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(file: path, keyPath: "", problem: "the pipeline file is not UTF-8")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws -> PipelineConfig {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ConfigurationError(file: file, keyPath: "", problem: "the pipeline file is empty")
            }
            root = node
        } catch let error as ConfigurationError {
            throw error
        } catch let error as YamlError {
            throw ConfigurationError(file: file, keyPath: "", problem: "not valid YAML: \(Self.describe(error))")
        }
        let reader = NodeReader(file: file)
        let top = try reader.keyed(
            root, path: "",
            keys: [
                "name", "as_of", "sources", "population", "validate", "publish", "aggregate", "drift",
            ])
        let name = try reader.string(top["name"], path: "name", required: true)!
        guard name.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]*$", options: .regularExpression) != nil else {
            throw reader.error(
                top["name"], "name", "'\(name)' cannot name a report folder; use letters, digits, '.', '_' and '-'")
        }
        let asOf = try parseAsOf(top["as_of"], reader: reader)
        guard let sourcesNode = top["sources"] else {
            throw reader.error(root, "sources", "is missing; expected a list of sources (dataset, format, path, ...)")
        }
        guard let list = sourcesNode.sequence, !list.isEmpty else {
            throw reader.error(sourcesNode, "sources", "expected a non-empty list of sources")
        }
        var sources: [PipelineConfig.Source] = []
        for (index, node) in list.enumerated() {
            sources.append(try parseSource(node, path: "sources[\(index)]", reader: reader))
        }
        let population = try reader.string(top["population"], path: "population", required: false)
        var policy = ValidationPolicy()
        if let node = top["validate"] { policy = try parseValidate(node, reader: reader) }
        var formats = ["csv.gz"]
        var suppressBelow = 0
        if let node = top["publish"] {
            let publish = try reader.keyed(node, path: "publish", keys: ["formats", "suppress_below"])
            if let formatList = publish["formats"] {
                formats = try reader.strings(formatList, path: "publish.formats")
                let known: Set<String> = ["csv.gz", "xlsx", "html", "md", "json"]
                for format in formats where !known.contains(format) {
                    throw reader.error(
                        formatList, "publish.formats",
                        "'\(format)' is not a format; expected csv.gz, xlsx, html, md or json")
                }
            }
            suppressBelow = try reader.integer(publish["suppress_below"], path: "publish.suppress_below") ?? 0
        }
        var partyStatuses: Set<UInt8> = [1, 2]
        if let node = top["aggregate"] {
            let aggregate = try reader.keyed(node, path: "aggregate", keys: ["party_statuses"])
            if let statuses = aggregate["party_statuses"] {
                let codes = try reader.strings(statuses, path: "aggregate.party_statuses")
                partyStatuses = Set(
                    try codes.map { code in
                        guard CodeTables.politicalStatus.contains(code), let value = UInt8(code) else {
                            throw reader.error(
                                statuses, "aggregate.party_statuses", "'\(code)' is not a GB/T 4762 code (01 to 13)")
                        }
                        return value
                    })
            }
        }
        var drift = DriftPolicy()
        if let node = top["drift"] {
            let entries = try reader.keyed(
                node, path: "drift",
                keys: ["max_rows_drop", "max_rows_rise", "max_registered_drop", "max_hours_change", "fail"])
            drift.maxRowsDrop =
                try reader.fraction(entries["max_rows_drop"], path: "drift.max_rows_drop") ?? drift.maxRowsDrop
            if let rise = try reader.string(entries["max_rows_rise"], path: "drift.max_rows_rise", required: false) {
                guard let value = Double(rise), value >= 0 else {
                    throw reader.error(
                        entries["max_rows_rise"], "drift.max_rows_rise", "'\(rise)' is not a share >= 0 (0.5 for +50 %)"
                    )
                }
                drift.maxRowsRise = value
            }
            drift.maxRegisteredDrop =
                try reader.fraction(entries["max_registered_drop"], path: "drift.max_registered_drop")
                ?? drift.maxRegisteredDrop
            drift.maxHoursChange = try reader.fraction(entries["max_hours_change"], path: "drift.max_hours_change")
            if let fail = try reader.string(entries["fail"], path: "drift.fail", required: false) {
                guard let value = Bool(fail) else {
                    throw reader.error(entries["fail"], "drift.fail", "'\(fail)' is not true or false")
                }
                drift.fail = value
            }
        }
        return PipelineConfig(
            file: file, name: name, asOf: asOf, sources: sources, population: population, validation: policy,
            partyStatuses: partyStatuses, drift: drift, publishFormats: formats, suppressBelow: suppressBelow)
    }

    static func parseAsOf(_ node: Node?, reader: NodeReader) throws -> PipelineConfig.AsOf {
        guard let text = try reader.string(node, path: "as_of", required: false) else { return .yesterday }
        if text == "yesterday" { return .yesterday }
        guard let date = CivilDate(text) else {
            throw reader.error(node, "as_of", "'\(text)' is not a date; expected YYYY-MM-DD or yesterday")
        }
        return .date(date)
    }

    static func parseSource(_ node: Node, path: String, reader: NodeReader) throws -> PipelineConfig.Source {
        let source = try reader.keyed(
            node, path: path,
            keys: [
                "dataset", "format", "path", "encoding", "delimiter", "columns", "values", "record", "fields",
            ])
        let datasetName = try reader.string(source["dataset"], path: "\(path).dataset", required: true, in: node)!
        guard let dataset = Dataset(rawValue: datasetName) else {
            let names = Dataset.allCases.map(\.rawValue).joined(separator: ", ")
            throw reader.error(
                source["dataset"], "\(path).dataset", "'\(datasetName)' is not a dataset; expected one of \(names)")
        }
        guard dataset.isSupportedByRun else {
            throw reader.error(
                source["dataset"], "\(path).dataset",
                "'\(datasetName)' is not computed by volstat run yet; expected one of "
                    + Dataset.allCases.filter(\.isSupportedByRun).map(\.rawValue).joined(separator: ", "))
        }
        let glob = try reader.string(source["path"], path: "\(path).path", required: true, in: node)!
        var format: InputFormat
        if let text = try reader.string(source["format"], path: "\(path).format", required: false) {
            guard let parsed = InputFormat(rawValue: text.lowercased()) else {
                throw reader.error(source["format"], "\(path).format", "'\(text)' is not a format; expected csv or xml")
            }
            format = parsed
        } else if let guessed = InputFormat.guess(path: glob) {
            format = guessed
        } else {
            throw reader.error(
                node, "\(path).format", "is missing and cannot be told from the path; expected csv or xml")
        }
        var encoding = TextEncoding.auto
        if let text = try reader.string(source["encoding"], path: "\(path).encoding", required: false) {
            guard let parsed = TextEncoding(name: text) else {
                throw reader.error(
                    source["encoding"], "\(path).encoding",
                    "'\(text)' is not an encoding; expected utf-8, gb18030 or auto")
            }
            encoding = parsed
        }
        var dialect = CSVDialect()
        if let text = try reader.string(source["delimiter"], path: "\(path).delimiter", required: false) {
            guard let byte = CSVDialect.delimiterByte(text) else {
                throw reader.error(
                    source["delimiter"], "\(path).delimiter",
                    "'\(text)' must be one ASCII character (\",\", \";\", \"\\t\", \"|\")")
            }
            dialect.delimiter = byte
        }
        let fieldsKey = format == .xml ? "fields" : "columns"
        let otherKey = format == .xml ? "columns" : "fields"
        if let wrong = source[otherKey] {
            throw reader.error(
                wrong, "\(path).\(otherKey)",
                "belongs to \(format == .xml ? "CSV" : "XML") sources; use `\(fieldsKey)` for \(format.rawValue)")
        }
        var names: [String: String] = [:]
        if let node = source[fieldsKey] {
            let mapping = try reader.mapping(
                node, path: "\(path).\(fieldsKey)", keys: dataset.fields, what: "canonical field of \(dataset.rawValue)"
            )
            for (field, value) in mapping {
                names[field] = try reader.string(value, path: "\(path).\(fieldsKey).\(field)", required: true)!
            }
            if format == .xml {
                let missing = dataset.requiredFields.filter { names[$0] == nil }
                if !missing.isEmpty {
                    throw reader.error(
                        node, "\(path).fields",
                        "has no entry for required field\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")) of \(dataset.rawValue)"
                    )
                }
            }
        }
        var values: [String: [String: String]] = [:]
        if let node = source["values"] {
            let mapping = try reader.mapping(
                node, path: "\(path).values", keys: dataset.fields, what: "canonical field of \(dataset.rawValue)")
            for (field, table) in mapping {
                let entries = try reader.mapping(table, path: "\(path).values.\(field)", keys: nil)
                var map: [String: String] = [:]
                for (sourceValue, canonical) in entries {
                    map[sourceValue] = try reader.string(
                        canonical, path: "\(path).values.\(field).\(sourceValue)", required: true)!
                }
                values[field] = map
            }
        }
        let record = try reader.string(source["record"], path: "\(path).record", required: false)
        if record != nil && format != .xml {
            throw reader.error(source["record"], "\(path).record", "applies to XML sources only")
        }
        return PipelineConfig.Source(
            dataset: dataset, format: format, path: glob, encoding: encoding, dialect: dialect,
            mapping: FieldMapping(dataset: dataset, names: names, values: values), recordElement: record, keyPath: path)
    }

    static func parseValidate(_ node: Node, reader: NodeReader) throws -> ValidationPolicy {
        var policy = ValidationPolicy()
        let validate = try reader.keyed(
            node, path: "validate",
            keys: [
                "enabled", "max_reject_rate", "rules", "retired_regions", "legacy_id_numbers", "max_unreadable_files",
                "age_range",
            ])
        if let enabled = try reader.string(validate["enabled"], path: "validate.enabled", required: false) {
            guard let value = Bool(enabled) else {
                throw reader.error(validate["enabled"], "validate.enabled", "'\(enabled)' is not true or false")
            }
            policy.enabled = value
        }
        if let rate = validate["max_reject_rate"] {
            if rate.mapping != nil {
                let limits = try reader.keyed(rate, path: "validate.max_reject_rate", keys: ["overall", "rules"])
                policy.maxRejectRate = try reader.fraction(limits["overall"], path: "validate.max_reject_rate.overall")
                if let rules = limits["rules"] {
                    let entries = try reader.mapping(
                        rules, path: "validate.max_reject_rate.rules", keys: Rule.all.map(\.code), what: "rule code")
                    for (code, value) in entries {
                        policy.maxRejectRateByRule[code] = try reader.fraction(
                            value, path: "validate.max_reject_rate.rules.\(code)")
                    }
                }
            } else {
                policy.maxRejectRate = try reader.fraction(rate, path: "validate.max_reject_rate")
            }
        }
        if let rules = validate["rules"] {
            let entries = try reader.mapping(
                rules, path: "validate.rules", keys: Rule.all.map(\.code), what: "rule code")
            for (code, value) in entries {
                let text = try reader.string(value, path: "validate.rules.\(code)", required: true)!
                guard let severity = Severity(rawValue: text) else {
                    throw reader.error(
                        value, "validate.rules.\(code)", "'\(text)' is not a severity; expected error, warning or off")
                }
                if severity != .error, let rule = Rule.named(code), !rule.isAdjustable {
                    throw reader.error(
                        value, "validate.rules.\(code)",
                        "cannot be \(text): a row that breaks it cannot be counted at all; rules that can be warnings or off: "
                            + Rule.all.filter(\.isAdjustable).map(\.code).joined(separator: ", "))
                }
                policy.severities[code] = severity
            }
        }
        if let retired = validate["retired_regions"] {
            let entries = try reader.mapping(retired, path: "validate.retired_regions", keys: nil)
            for (old, value) in entries {
                let successor = try reader.string(value, path: "validate.retired_regions.\(old)", required: true)!
                guard let oldCode = Int32(old), old.count == 6, let newCode = Int32(successor), successor.count == 6
                else {
                    throw reader.error(
                        value, "validate.retired_regions.\(old)", "expected a 6-digit code mapped to a 6-digit code")
                }
                policy.retiredRegions[oldCode] = newCode
            }
        }
        if let legacy = try reader.string(
            validate["legacy_id_numbers"], path: "validate.legacy_id_numbers", required: false)
        {
            guard let parsed = LegacyIdentityPolicy(rawValue: legacy) else {
                throw reader.error(
                    validate["legacy_id_numbers"], "validate.legacy_id_numbers", "'\(legacy)' is not convert or reject")
            }
            policy.legacyIdentityNumbers = parsed
        }
        if let files = try reader.integer(validate["max_unreadable_files"], path: "validate.max_unreadable_files") {
            policy.maxUnreadableFiles = files
        }
        if let range = validate["age_range"] {
            let bounds = try reader.strings(range, path: "validate.age_range").compactMap { Int($0) }
            guard bounds.count == 2, bounds[0] <= bounds[1] else {
                throw reader.error(
                    range, "validate.age_range", "expected [minimum, maximum] in whole years, e.g. [14, 100]")
            }
            policy.ageRange = bounds[0]...bounds[1]
        }
        return policy
    }

    static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return "\(problem) at line \(mark.line), column \(mark.column)"
        default:
            return "\(error)"
        }
    }
}

/// Typed access to YAML nodes that throws `ConfigurationError`s with the node's position.
struct NodeReader {
    let file: String

    func error(_ node: Node?, _ path: String, _ problem: String) -> ConfigurationError {
        ConfigurationError(
            file: file, line: node?.mark?.line, column: node?.mark?.column, keyPath: path, problem: problem)
    }

    /// The entries of a mapping, in file order; with `keys`, any other key is an error.
    func mapping(_ node: Node, path: String, keys: [String]?, what: String = "key") throws -> [(String, Node)] {
        guard let mapping = node.mapping else {
            throw error(node, path, "expected a mapping (key: value)")
        }
        var entries: [(String, Node)] = []
        for (key, value) in mapping {
            guard let name = key.string else { throw error(key, path, "keys must be text") }
            if let keys, !keys.contains(name) {
                let location = path.isEmpty ? name : "\(path).\(name)"
                throw error(key, location, "unknown \(what); expected one of \(keys.joined(separator: ", "))")
            }
            entries.append((name, value))
        }
        return entries
    }

    /// The entries of a mapping by key; any key not in `keys` is an error.
    func keyed(_ node: Node, path: String, keys: [String]) throws -> [String: Node] {
        Dictionary(
            try mapping(node, path: path, keys: keys) as [(String, Node)], uniquingKeysWith: { first, _ in first })
    }

    func string(_ node: Node?, path: String, required: Bool, in parent: Node? = nil) throws -> String? {
        guard let node else {
            if required { throw error(parent, path, "is missing") }
            return nil
        }
        guard let scalar = node.scalar else {
            throw error(node, path, "expected a single value, not a list or mapping")
        }
        if scalar.string.isEmpty && required { throw error(node, path, "must not be empty") }
        return scalar.string
    }

    func strings(_ node: Node, path: String) throws -> [String] {
        if let scalar = node.scalar { return [scalar.string] }
        guard let sequence = node.sequence else { throw error(node, path, "expected a list") }
        return try sequence.map { try string($0, path: path, required: true)! }
    }

    func integer(_ node: Node?, path: String) throws -> Int? {
        guard let text = try string(node, path: path, required: false) else { return nil }
        guard let value = Int(text), value >= 0 else { throw error(node, path, "'\(text)' is not a whole number >= 0") }
        return value
    }

    func fraction(_ node: Node?, path: String) throws -> Double? {
        guard let text = try string(node, path: path, required: false) else { return nil }
        guard let value = Double(text), value >= 0, value <= 1 else {
            throw error(node, path, "'\(text)' is not a share between 0 and 1 (e.g. 0.02 for 2 %)")
        }
        return value
    }
}
