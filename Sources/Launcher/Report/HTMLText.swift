/// Text from files (ids, class names, paths, configuration values) made safe
/// to place in the report: in element content and in quoted attribute values,
/// of HTML and of the inline SVG alike (the page is also well-formed XML).
public enum HTML {
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            // Other control characters are not allowed in XML (nor shown by HTML).
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A number for people: `digits` decimals, "–" for NaN or infinity.
    static func number(_ value: Double, digits: Int = 2) -> String {
        value.isFinite ? String(format: "%.\(digits)f", value) : "–"
    }

    /// A fraction as a percentage with two decimals ("–" when undefined).
    static func percent(_ value: Double) -> String { number(value * 100) }
}
