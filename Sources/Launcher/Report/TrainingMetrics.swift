import Foundation

/// RUN_DIR/metrics.jsonl read tolerantly, for the report's training curves:
/// every number of a line becomes a series under its key (nested objects
/// flattened: `time.forward`), a key a line lacks is NaN there, so older
/// runs (no `elapsed_s`, `timestamp`) and newer ones read alike. A line
/// that is not a JSON object with a numeric `step` (a write cut off by a
/// kill) is skipped and counted; a step logged twice keeps its last line.
public struct TrainingMetrics {
    /// Logged steps, ascending.
    public var steps: [Double] = []
    /// Key → one value per step (NaN where the line has none).
    public var series: [String: [Double]] = [:]
    /// The `timestamp` strings of the first and last line, when written.
    public var firstTimestamp: String?
    public var lastTimestamp: String?
    public var skippedLines = 0

    public init(text: String) {
        var byStep: [Int: [String: Any]] = [:]
        for line in text.split(whereSeparator: \.isNewline) where !line.allSatisfy(\.isWhitespace) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let step = Self.number(object["step"]).flatMap({ $0.isFinite ? Int(exactly: $0) : nil })
            else {
                skippedLines += 1
                continue
            }
            byStep[step] = object
        }
        let ordered = byStep.keys.sorted()
        steps = ordered.map(Double.init)
        var keys = Set<String>()
        let flat = ordered.map { step -> [String: Double] in
            let values = Self.flatten(byStep[step] ?? [:], prefix: "")
            keys.formUnion(values.keys)
            return values
        }
        for key in keys where key != "step" { series[key] = flat.map { $0[key] ?? .nan } }
        firstTimestamp = ordered.first.flatMap { byStep[$0]?["timestamp"] as? String }
        lastTimestamp = ordered.last.flatMap { byStep[$0]?["timestamp"] as? String }
    }

    /// The values of `key` (all NaN when no line has it).
    public func values(_ key: String) -> [Double] { series[key] ?? [Double](repeating: .nan, count: steps.count) }

    /// The last finite value of `key`.
    public func last(_ key: String) -> Double? { values(key).last(where: \.isFinite) }

    /// Every number of `object` by its dotted key; JSON null is NaN, strings are left out.
    static func flatten(_ object: [String: Any], prefix: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for (key, value) in object {
            if let nested = value as? [String: Any] {
                out.merge(flatten(nested, prefix: prefix + key + "."), uniquingKeysWith: { $1 })
            } else if value is NSNull {
                out[prefix + key] = .nan
            } else if let v = number(value) {
                out[prefix + key] = v
            }
        }
        return out
    }

    /// A JSON number as a Double (metrics hold no booleans; one would read as 0 or 1).
    static func number(_ value: Any?) -> Double? { (value as? NSNumber)?.doubleValue }
}
