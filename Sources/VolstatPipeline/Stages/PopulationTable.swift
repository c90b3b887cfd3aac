import VolstatCore
import VolstatIngest

/// Reads a population table: CSV `region_code,population` with 6-digit codes at any level.
enum PopulationTable {
    static func load(_ path: String, pipelineFile: String) throws -> [RegionCode: Int64] {
        guard let file = SourceFiles.expand(path, pipelineFile: pipelineFile).first else {
            throw ConfigurationError(file: pipelineFile, keyPath: "population", problem: "'\(path)' matches no file")
        }
        let reader = try RecordReaders.open(path: file, format: .csv, encoding: .auto)
        guard let codeSlot = reader.fieldNames.firstIndex(of: "region_code"),
            let populationSlot = reader.fieldNames.firstIndex(of: "population")
        else {
            throw InputError("\(file): a population table needs the columns region_code and population")
        }
        var table: [RegionCode: Int64] = [:]
        while try reader.next() {
            guard reader.problem == nil, let codeBytes = reader.value(at: codeSlot),
                let code = RegionTable.parseCode(codeBytes), let valueBytes = reader.value(at: populationSlot),
                let value = Int64(String(decoding: valueBytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)),
                value > 0
            else {
                throw InputError(
                    "\(file):\(reader.line): expected a 6-digit region_code and a positive whole population")
            }
            table[code] = value
        }
        return table
    }
}
