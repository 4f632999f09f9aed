import Foundation

/// The flat YAML used for run configs: `key: value` per line, lists as
/// `[a, b]`, `#` comments, quoted values. Enough for config.yaml; nothing nested.
public enum FlatYAML {
    /// `key: value` lines. A `#` starts a comment at the start of a line or
    /// after a space (as in YAML: a path may hold `#`); a value may be quoted
    /// ("..." or '...', no escapes). A key given twice is an error.
    public static func parse(_ text: String, path: String) throws -> [String: String] {
        var out: [String: String] = [:]
        var lineOf: [String: Int] = [:]
        // Split on every newline: "\r\n" is one Character in Swift, so splitting on "\n" would read a
        // Windows file as one line.
        for (n, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = String(raw).trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw UsageError("\(path):\(n + 1): expected `key: value`, got '\(line)'")
            }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "-", with: "_")
            let value = try self.value(String(line[line.index(after: colon)...]), at: "\(path):\(n + 1)")
            if let first = lineOf[key] {
                throw UsageError("\(path):\(n + 1): `\(key)` is already set on line \(first); give each key once")
            }
            out[key] = value
            lineOf[key] = n + 1
        }
        return out
    }

    /// The value after the colon: quoted, or plain up to a ` #` comment.
    static func value(_ rest: String, at place: String) throws -> String {
        let text = rest.trimmingCharacters(in: .whitespaces)
        if let quote = text.first, quote == "\"" || quote == "'" {
            let body = text.dropFirst()
            guard let end = body.firstIndex(of: quote) else {
                throw UsageError("\(place): unclosed quote in '\(text)'")
            }
            let after = body[body.index(after: end)...].trimmingCharacters(in: .whitespaces)
            guard after.isEmpty || after.hasPrefix("#") else {
                throw UsageError("\(place): unexpected '\(after)' after the quoted value")
            }
            return String(body[..<end])
        }
        var plain = text
        if text.hasPrefix("#") {
            plain = ""
        } else if let comment = text.range(of: " #") {
            plain = String(text[..<comment.lowerBound])
        }
        if let tab = plain.range(of: "\t#") { plain = String(plain[..<tab.lowerBound]) }
        return plain.trimmingCharacters(in: .whitespaces)
    }

    /// A value as `render` writes it: quoted when a plain one would not read back.
    static func quotedIfNeeded(_ value: String) -> String {
        let plainReadsBack =
            !value.isEmpty && value == value.trimmingCharacters(in: .whitespaces) && !value.hasPrefix("#")
            && !value.contains(" #") && !value.contains("\t#") && value.first != "\"" && value.first != "'"
        if plainReadsBack { return value }
        return value.contains("\"") ? "'\(value)'" : "\"\(value)\""
    }

    /// `[a, b]` → ["a", "b"]; a plain value → [value].
    public static func list(_ value: String) -> [String] {
        let inner = value.hasPrefix("[") && value.hasSuffix("]") ? String(value.dropFirst().dropLast()) : value
        return inner.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    public static func render(_ pairs: [(String, String)]) -> String {
        pairs.map { "\($0.0): \(quotedIfNeeded($0.1))" }.joined(separator: "\n") + "\n"
    }
}
