/// The character encoding of an export. `auto` reads the start of the input: a UTF-8 byte-order
/// mark or valid UTF-8 means UTF-8, anything else is taken as GB18030 (a superset of GBK and GB2312).
public enum TextEncoding: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    case gb18030
    case auto

    /// Accepts the usual spellings: `utf8`, `UTF-8`, `gbk`, `GB2312`, `gb18030`, `auto`.
    public init?(name: String) {
        switch name.lowercased().replacingOccurrences(of: "_", with: "-") {
        case "utf-8", "utf8": self = .utf8
        case "gb18030", "gbk", "gb2312", "cp936": self = .gb18030
        case "auto": self = .auto
        default: return nil
        }
    }

    /// Decides between UTF-8 and GB18030 from the first bytes of an input.
    static func detect(_ prefix: UnsafeRawBufferPointer, isWholeInput: Bool) -> TextEncoding {
        if prefix.count >= 3, prefix[0] == 0xEF, prefix[1] == 0xBB, prefix[2] == 0xBF { return .utf8 }
        guard let problem = UTF8Check.firstProblem(prefix) else { return .utf8 }
        // A multi-byte character cut off by the end of the sample is not evidence against UTF-8.
        if !isWholeInput && prefix.count - problem < 4 && prefix[problem] >= 0xC2 {
            let tail = UnsafeRawBufferPointer(rebasing: prefix[problem...])
            if tail.dropFirst().allSatisfy({ $0 & 0xC0 == 0x80 }) { return .utf8 }
        }
        return .gb18030
    }
}
