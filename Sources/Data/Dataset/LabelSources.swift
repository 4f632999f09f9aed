import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Image-level labels: id → multi-hot [C] (background not included).
public typealias LabelTable = [String: [Float]]

public enum LabelSources {
    /// Object class names of a VOC annotation (only `annotation/object/name`,
    /// not the names of person parts).
    public static func vocObjectNames(xml path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError(path, "annotation not found; give --labels or add Annotations/<id>.xml")
        }
        let collector = VOCObjectNameCollector()
        let parser = XMLParser(data: data)
        parser.delegate = collector
        guard parser.parse() else {
            throw DataError(path, "annotation XML does not parse (\(parser.parserError.map { "\($0)" } ?? "syntax error"))")
        }
        return collector.names
    }

    /// Multi-hot labels from a VOC XML; unknown class names are an error.
    public static func vocLabels(xml path: String, classes: [String]) throws -> [Float] {
        var labels = [Float](repeating: 0, count: classes.count)
        for name in try vocObjectNames(xml: path) {
            guard let index = classes.firstIndex(of: name) else {
                throw DataError(path, "unknown class '\(name)' (known: \(classes.joined(separator: ", ")))")
            }
            labels[index] = 1
        }
        return labels
    }

    /// A text file `id idx idx ...` (0-based class indices) or JSON
    /// `{"id": [idx, ...]}`; chosen by content.
    public static func readLabelFile(_ path: String, numClasses: Int) throws -> LabelTable {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError(path, "labels file not found (--labels)")
        }
        let trimmed = data.first { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }
        var table: LabelTable = [:]
        func hot(_ indices: [Int], _ id: String) throws -> [Float] {
            var v = [Float](repeating: 0, count: numClasses)
            for i in indices {
                guard i >= 0 && i < numClasses else {
                    throw DataError(path, "class index \(i) of '\(id)' is outside 0..<\(numClasses)")
                }
                v[i] = 1
            }
            return v
        }
        if trimmed == UInt8(ascii: "{") {
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw DataError(path, "labels JSON does not parse; expected {\"id\": [class indices]}")
            }
            for (id, value) in object {
                guard let list = value as? [Any] else { throw DataError(path, "labels of '\(id)' are not a list") }
                let indices = try list.map { item -> Int in
                    guard let n = item as? NSNumber else { throw DataError(path, "label of '\(id)' is not a number") }
                    return n.intValue
                }
                table[id] = try hot(indices, id)
            }
            return table
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DataError(path, "labels file is neither UTF-8 text nor JSON")
        }
        for (lineNumber, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," })
            guard let id = fields.first else { continue }
            let indices = try fields.dropFirst().map { field -> Int in
                guard let i = Int(field) else {
                    throw DataError(path, "line \(lineNumber + 1): '\(field)' is not a class index")
                }
                return i
            }
            table[String(id)] = try hot(indices, String(id))
        }
        return table
    }
}

final class VOCObjectNameCollector: NSObject, XMLParserDelegate {
    var names: [String] = []
    private var path: [String] = []
    private var text = ""

    func parser(_ parser: XMLParser, didStartElement element: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]) {
        path.append(element)
        text = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
        if path.suffix(3) == ["annotation", "object", "name"] {
            names.append(text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        path.removeLast()
    }
}
