public import Foundation

/// The level of an administrative division in the GB/T 2260 hierarchy.
public enum RegionLevel: String, Sendable, CaseIterable, Comparable {
    case national, province, city, county

    public static func < (a: RegionLevel, b: RegionLevel) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// A 6-digit GB/T 2260 code as an integer: `360102` for 东湖区, `360000` for 江西省, `0` for the nation.
public typealias RegionCode = Int32

/// The GB/T 2260 administrative divisions (2022 edition): names and levels of every province,
/// city and county code, and the roll-up from a county to its city and province.
///
/// ```swift
/// let regions = try RegionTable.bundled()
/// regions.name(of: 360102)             // "东湖区"
/// regions.rollUp(360102)               // [0, 360000, 360100, 360102]
/// ```
public struct RegionTable: Sendable {
    /// The code of the national total row.
    public static let national: RegionCode = 0

    private var names: [RegionCode: String] = [:]
    /// Flat lookup from a 6-digit code to whether it is a known division (fast path for validation).
    private var known: [Bool]

    /// Builds the table from the three CSV files of `../shared/reference/regions/` (provinces.csv,
    /// cities.csv, areas.csv), as shipped in the package.
    public init(directory: URL) throws {
        known = Array(repeating: false, count: 1_000_000)
        names[RegionTable.national] = "全国"
        names[RegionTable.productionCorps] = "新疆生产建设兵团"
        known[0] = true
        for (file, width) in [("provinces.csv", 2), ("cities.csv", 4), ("areas.csv", 6)] {
            let url = directory.appendingPathComponent(file)
            guard let data = try? Data(contentsOf: url) else {
                throw RegionTableError(message: "cannot read the region table \(url.path)")
            }
            // Split as bytes: through String's characters and Foundation's trimming, the 3,300
            // lines took 8 ms at the start of every run, before any input was read.
            let lines = [UInt8](data).split(separator: UInt8(ascii: "\n")).dropFirst()
            for var line in lines {
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                guard !line.isEmpty else { continue }
                let columns = line.split(separator: UInt8(ascii: ","), maxSplits: 2, omittingEmptySubsequences: false)
                guard columns.count >= 2, columns[0].count == width,
                    var code = Int32(String(decoding: columns[0], as: UTF8.self))
                else {
                    throw RegionTableError(
                        message: "\(url.path): malformed line '\(String(decoding: line, as: UTF8.self))'")
                }
                for _ in width..<6 { code *= 10 }
                var name = columns[1]
                while name.first == UInt8(ascii: "\"") { name = name.dropFirst() }
                while name.last == UInt8(ascii: "\"") { name = name.dropLast() }
                names[code] = String(decoding: name, as: UTF8.self)
                known[Int(code)] = true
            }
        }
    }

    /// The table shipped inside the package (`VOLSTAT_REGIONS_DIR` overrides its location).
    public static func bundled() throws -> RegionTable {
        try RegionTable(directory: ResourceLocator.regionsDirectory())
    }

    /// Whether `code` names a division in the table (national, province, city or county).
    @inline(__always)
    public func contains(_ code: RegionCode) -> Bool {
        code >= 0 && code < 1_000_000 && known[Int(code)]
    }

    /// The name of a division, e.g. `江西省`; nil for an unknown code.
    public func name(of code: RegionCode) -> String? { names[code] }

    /// The Xinjiang Production and Construction Corps as a service unit of its own (`660000`), as
    /// programme statistics report it; GB/T 2260 lists its cities (`6590xx`) under Xinjiang.
    public static let productionCorps: RegionCode = 660000

    /// The province-level unit a service region code reports under: its province, or the Corps
    /// for the Corps' cities.
    public static func serviceUnit(of code: RegionCode) -> RegionCode {
        code / 100 == 6590 ? productionCorps : code / 10_000 * 10_000
    }

    /// The level a code stands at, from its trailing zeros.
    public static func level(of code: RegionCode) -> RegionLevel {
        if code == 0 { return .national }
        if code % 10_000 == 0 { return .province }
        if code % 100 == 0 { return .city }
        return .county
    }

    /// The codes a division counts towards, from the nation down to itself: the national total,
    /// its province, its city and the county, as far as the code goes; each once, also for a code
    /// that is not a division (`000100` counts towards the nation once, not as its province too).
    public static func rollUp(_ code: RegionCode) -> [RegionCode] {
        var codes: [RegionCode] = [national]
        for parent in [code / 10_000 * 10_000, code / 100 * 100, code] where parent != codes.last {
            codes.append(parent)
        }
        return codes
    }

    /// Every code in the table, in ascending order.
    public var allCodes: [RegionCode] { names.keys.sorted() }

    /// The 6-digit text of a code (`000000` for the nation).
    public static func text(_ code: RegionCode) -> String { pad(Int(code), 6) }
}

/// The region table could not be read.
public struct RegionTableError: VolstatFailure {
    public var kind: FailureKind { .input }
    public var message: String
}

/// Finds the resources shipped with the package, whether run from the build folder or from tests.
enum ResourceLocator {
    static func regionsDirectory() throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        if let override = environment["VOLSTAT_REGIONS_DIR"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        let bundleName = "volstat_VolstatCore.resources"
        var candidates: [URL] = []
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        candidates.append(executable.deletingLastPathComponent().appendingPathComponent(bundleName))
        candidates.append(Bundle.main.bundleURL.appendingPathComponent(bundleName))
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent(bundleName))
        for bundle in candidates {
            let directory = bundle.appendingPathComponent("regions")
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("areas.csv").path) {
                return directory
            }
        }
        throw RegionTableError(
            message:
                "cannot find the GB/T 2260 region table (\(bundleName)/regions) next to the volstat binary; "
                + "set VOLSTAT_REGIONS_DIR to a folder holding provinces.csv, cities.csv and areas.csv"
        )
    }
}
