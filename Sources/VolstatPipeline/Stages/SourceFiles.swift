import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Expands a source's `path` glob into the files it names, sorted by name, so that a day's
/// exports are always read in the same order.
enum SourceFiles {
    /// Relative globs are tried against the working directory first, then against the folder of
    /// the pipeline file; the first that matches wins.
    static func expand(_ pattern: String, pipelineFile: String) -> [String] {
        if pattern.hasPrefix("/") { return glob(pattern) }
        let matches = glob(pattern)
        if !matches.isEmpty { return matches }
        let folder = URL(fileURLWithPath: pipelineFile).deletingLastPathComponent().path
        return glob(folder + "/" + pattern)
    }

    static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for index in 0..<Int(result.gl_pathc) {
            if let path = result.gl_pathv[index] { paths.append(String(cString: path)) }
        }
        return paths.filter { path in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && !isFolder.boolValue
        }.sorted()
    }
}
