/// The one spelling rule for settings: a Swift property `bucketMb` is the
/// YAML key `bucket_mb` and the flag `--bucket-mb`.
enum SettingKey {
    static func yaml(_ property: String) -> String { words(property).joined(separator: "_") }
    static func flag(_ property: String) -> String { "--" + words(property).joined(separator: "-") }

    /// "bucketMb" → ["bucket", "mb"]; "cropSize" → ["crop", "size"].
    static func words(_ camel: String) -> [String] {
        var words: [String] = []
        var current = ""
        for ch in camel {
            if ch.isUppercase, !current.isEmpty {
                words.append(current)
                current = ""
            }
            current.append(Character(ch.lowercased()))
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// The closest of `candidates` to a mistyped key (edit distance ≤ 3), for "did you mean".
    static func closest(to key: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(key, $0)) }.filter { $0.1 <= 3 }
        return scored.min { $0.1 < $1.1 }?.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let saved = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = saved
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }
}
