import Foundation
import Support

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Image-level labels: id → multi-hot [C] (background not included).
public typealias LabelTable = [String: [Float]]

public enum LabelSources {
    /// Object class names of a VOC annotation (only `annotation/object/name`,
    /// not the names of person parts).
    public static func vocObjectNames(xml path: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError(path, "annotation not found; give --labels or add Annotations/<id>.xml")
        }
        return try vocObjectNames(xmlData: InputFile.read(path, what: "a VOC annotation"), path: path)
    }

    /// `vocObjectNames(xml:)` of bytes in memory; `path` names them in messages.
    public static func vocObjectNames(xmlData data: Data, path: String) throws -> [String] {
        // FoundationXML traps on some documents (swift-corelibs-foundation bugs, see `foundationXMLTraps`):
        // those are refused here, naming the file.
        if let construct = foundationXMLTraps(on: data) {
            throw DataError(path, "annotation \(construct): eps-dist reads plain UTF-8 annotations, as VOC's are")
        }
        let collector = VOCObjectNameCollector()
        let parser = XMLParser(data: data)
        parser.delegate = collector
        guard parser.parse() else {
            throw DataError(
                path, "annotation XML does not parse (\(parser.parserError.map { "\($0)" } ?? "syntax error"))")
        }
        // FoundationXML reports success on a document cut short (its open elements are left unclosed),
        // which would drop the labels after the cut.
        guard collector.sawElement, collector.isClosed else {
            throw DataError(
                path,
                "annotation XML is \(collector.sawElement ? "cut short (elements left open)" : "empty"); "
                    + "repair or regenerate the file")
        }
        return collector.names
    }

    /// What in an annotation would make FoundationXML trap instead of reporting an error, or nil:
    /// - bytes that are not UTF-8 (libxml2 passes them on in element names, which FoundationXML
    ///   force-unwraps as UTF-8), also when a declaration names another encoding;
    /// - a processing instruction (FoundationXML reads the data of `<?target?>`, which is NULL);
    /// - a document type declaration (its declarations can lack strings FoundationXML reads too).
    /// The XML declaration, comments and CDATA sections are fine.
    static func foundationXMLTraps(on data: Data) -> String? {
        guard String(data: data, encoding: .utf8) != nil else { return "is not UTF-8 text" }
        let b = [UInt8](data)
        func starts(_ s: String, at i: Int) -> Bool { b[i...].starts(with: s.utf8) }
        /// The index after the first `end` at or after `i`, or the end of the data.
        func skip(past end: String, from i: Int) -> Int {
            let e = Array(end.utf8)
            var j = i
            while j + e.count <= b.count {
                if b[j..<(j + e.count)].elementsEqual(e) { return j + e.count }
                j += 1
            }
            return b.count
        }
        var i = starts("\u{FEFF}", at: 0) ? 3 : 0
        if starts("<?xml", at: i), i + 5 < b.count, [0x20, 0x09, 0x0A, 0x0D].contains(b[i + 5]) {
            // The XML declaration, which libxml2 reads itself: names, `=` and quoted values up to `?>`.
            var end = i + 5
            while end < b.count, !"<>?".utf8.contains(b[end]) { end += 1 }
            guard starts("?>", at: end) else { return "starts with a malformed XML declaration" }
            i = end + 2
        }
        while i < b.count {
            if b[i] != UInt8(ascii: "<") {
                i += 1
            } else if starts("<!--", at: i) {
                i = skip(past: "-->", from: i + 4)
            } else if starts("<![CDATA[", at: i) {
                i = skip(past: "]]>", from: i + 9)
            } else if starts("<?", at: i) {
                return "holds a processing instruction (<?...?>)"
            } else if starts("<!", at: i) {
                return "holds a document type declaration (<!...>)"
            } else {
                i += 1
            }
        }
        return nil
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

    /// Any label file users have, recognised by content: the reference's
    /// `cls_labels.npy` (pickled dict id → float multi-hot), a COCO instances
    /// JSON, JSON `{"id": [idx, ...]}`, or text `id idx idx ...` (0-based).
    public static func readLabelFile(_ path: String, numClasses: Int) throws -> LabelTable {
        try parseLabelFile(InputFile.read(path, what: "the labels file (--labels)"), path: path, numClasses: numClasses)
    }

    /// `readLabelFile` of bytes in memory; `path` names them in messages.
    public static func parseLabelFile(_ data: Data, path: String, numClasses: Int) throws -> LabelTable {
        guard !data.isEmpty else { throw DataError(path, "the labels file (--labels) is empty") }
        if data.starts(with: [0x93] + Array("NUMPY".utf8)) {
            return try numpyLabels(Array(data), path: path, numClasses: numClasses)
        }
        let trimmed = data.first { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }
        var table: LabelTable = [:]
        func hot(_ indices: [Int], _ id: String) throws -> [Float] {
            var v = [Float](repeating: 0, count: numClasses)
            for i in indices {
                guard i >= 0 && i < numClasses else {
                    throw DataError(
                        path, "class index \(i) of '\(id)' is outside 0..<\(numClasses) (--dataset or --class-names?)")
                }
                v[i] = 1
            }
            return v
        }
        if trimmed == UInt8(ascii: "{") {
            guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw DataError(
                    path, "labels JSON does not parse; expected {\"id\": [class indices]} or a COCO instances file")
            }
            if Self.cocoKeys.contains(where: { object[$0] != nil }) {
                return try cocoLabels(object, path: path, numClasses: numClasses)
            }
            for (id, value) in object {
                guard let list = value as? [Any] else { throw DataError(path, "labels of '\(id)' are not a list") }
                let indices = try list.map { item -> Int in
                    guard let n = item as? NSNumber, let i = wholeNumber(n) else {
                        throw DataError(path, "label \(item) of '\(id)' is not a class index (a whole number)")
                    }
                    return i
                }
                table[id] = try hot(indices, id)
            }
            return table
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DataError(path, "labels file is neither UTF-8 text nor JSON")
        }
        var lineOf: [String: Int] = [:]
        for (lineNumber, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," })
            guard let id = fields.first.map(String.init) else { continue }
            let indices = try fields.dropFirst().map { field -> Int in
                guard let i = Int(field) else {
                    throw DataError(path, "line \(lineNumber + 1): '\(field)' is not a class index")
                }
                return i
            }
            let labels = try hot(indices, id)
            if let earlier = table[id], earlier != labels {
                throw DataError(
                    path,
                    "line \(lineNumber + 1): '\(id)' is listed again with other labels (first on line "
                        + "\(lineOf[id]! + 1)); give each image once")
            }
            table[id] = labels
            lineOf[id] = lineOf[id] ?? lineNumber
        }
        return table
    }
}

extension LabelSources {
    /// A JSON number that is a whole number of sane size (1.9 is not class 1, 1e300 not an index).
    static func wholeNumber(_ n: NSNumber) -> Int? {
        let d = n.doubleValue
        guard d.isFinite, d == d.rounded(), abs(d) <= 1e15 else { return nil }
        return Int(d)
    }

    /// The reference's cls_labels.npy: np.save of a dict {id: float32 (C,)}.
    static func numpyLabels(_ bytes: [UInt8], path: String, numClasses: Int) throws -> LabelTable {
        do {
            let npy = try NumpyFile.parse(bytes)
            guard npy.descr == "|O" else {
                throw DataError(path, "a .npy of dtype \(npy.descr), expected a pickled dict (cls_labels.npy)")
            }
            let root = try PickleReader.parse(npy.payload)
            guard let objects = NumpyPickle.objects(root), case .dict(let dict)? = objects.first else {
                throw DataError(path, "the .npy does not hold a dict of labels")
            }
            var table: LabelTable = [:]
            for (key, value) in dict.entries {
                guard let id = key.string, let labels = NumpyPickle.floats(value) else {
                    throw DataError(path, "an entry is not an id with a numeric label vector")
                }
                guard labels.count == numClasses else {
                    throw DataError(
                        path,
                        "'\(id)' has \(labels.count) labels, the dataset has \(numClasses) classes (--dataset or --class-names?)"
                    )
                }
                table[id] = labels
            }
            return table
        } catch let e as DataError {
            throw e
        } catch {
            throw DataError(path, "corrupt labels file: \(error)")
        }
    }

    /// The top-level keys of a COCO instances JSON (any one marks the file as COCO).
    static let cocoKeys = ["images", "annotations", "categories"]

    /// COCO instances JSON: categories in ascending id order are the classes;
    /// image ids are the file names without extension. A missing key or a
    /// malformed entry is an error naming the file, the key and the entry.
    static func cocoLabels(_ object: [String: Any], path: String, numClasses: Int) throws -> LabelTable {
        func list(_ key: String) throws -> [[String: Any]] {
            guard let value = object[key] else {
                throw DataError(
                    path, "COCO instances JSON lacks the key \"\(key)\" (it needs \(cocoKeys.joined(separator: ", ")))")
            }
            guard let entries = value as? [[String: Any]] else {
                throw DataError(path, "COCO instances JSON: \"\(key)\" is not a list of objects")
            }
            return entries
        }
        func int(_ entry: [String: Any], _ key: String, in list: String, at index: Int) throws -> Int {
            guard let n = entry[key] as? NSNumber, let i = wholeNumber(n) else {
                throw DataError(path, "COCO instances JSON: \(list)[\(index)] lacks a whole-number \"\(key)\"")
            }
            return i
        }
        let categories = try list("categories")
        let images = try list("images")
        let annotations = try list("annotations")
        let categoryIds = try categories.enumerated().map { try int($1, "id", in: "categories", at: $0) }.sorted()
        guard categoryIds.count == numClasses else {
            throw DataError(
                path, "\(categoryIds.count) categories, expected \(numClasses) (--dataset or --class-names?)")
        }
        guard Set(categoryIds).count == categoryIds.count else { throw DataError(path, "category ids repeat") }
        let classOf = Dictionary(uniqueKeysWithValues: categoryIds.enumerated().map { ($0.element, $0.offset) })
        var nameOf: [Int: String] = [:]
        for (index, image) in images.enumerated() {
            let id = try int(image, "id", in: "images", at: index)
            guard let file = image["file_name"] as? String else {
                throw DataError(path, "COCO instances JSON: images[\(index)] lacks a \"file_name\"")
            }
            nameOf[id] = (file as NSString).deletingPathExtension
        }
        var table: LabelTable = [:]
        for name in nameOf.values { table[name] = [Float](repeating: 0, count: numClasses) }
        for (index, a) in annotations.enumerated() {
            let imageId = try int(a, "image_id", in: "annotations", at: index)
            let category = try int(a, "category_id", in: "annotations", at: index)
            guard let name = nameOf[imageId] else {
                throw DataError(
                    path, "COCO instances JSON: annotations[\(index)] names image_id \(imageId), not in images")
            }
            guard let c = classOf[category] else {
                throw DataError(path, "annotation with unknown category id \(category)")
            }
            table[name]![c] = 1
        }
        return table
    }
}

final class VOCObjectNameCollector: NSObject, XMLParserDelegate {
    var names: [String] = []
    private var path: [String] = []
    private var text = ""
    /// Whether any element started, and whether every started one ended.
    private(set) var sawElement = false
    var isClosed: Bool { path.isEmpty }

    func parser(
        _ parser: XMLParser, didStartElement element: String, namespaceURI: String?,
        qualifiedName: String?, attributes: [String: String] = [:]
    ) {
        path.append(element)
        sawElement = true
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
