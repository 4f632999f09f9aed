import Support

/// Class vocabularies, in the reference's labels.txt order (background not
/// included), and one's own from a file (`--class-names`).
public enum ClassNames {
    /// The classes of a dataset: those of `file` when given, else the kind's
    /// own. Every command that names classes (train, infer, eval, sweep,
    /// reports) resolves them here.
    public static func resolve(kind: DatasetKind, file: String?) throws -> [String] {
        if let file { return try load(file: file) }
        return kind == .voc ? voc : coco
    }

    /// A class-names file: one object class per line, in label-index order
    /// (line 1 is class index 0, mask value 1), no background line, no blank
    /// lines, no repeats; a final newline and Windows line ends are fine.
    public static func load(file path: String) throws -> [String] {
        try parse(InputFile.text(path, what: "the class-names file (--class-names)"), path: path)
    }

    /// `load` of text in memory; `path` names it in messages.
    public static func parse(_ text: String, path: String) throws -> [String] {
        var body = (text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text)
            .replacingOccurrences(of: "\r\n", with: "\n")
        if body.hasSuffix("\n") { body.removeLast() }
        guard !body.isEmpty else {
            throw DataError(path, "the class-names file is empty: write one class name per line")
        }
        var names: [String] = []
        var lineOf: [String: Int] = [:]
        for (i, raw) in body.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            let line = "line \(i + 1)"
            guard !name.isEmpty else {
                throw DataError(path, "\(line) is blank: one class name per line, no blank lines")
            }
            guard name.lowercased() != "background" else {
                throw DataError(
                    path, "\(line) names the background: list only the object classes (background is mask value 0)")
            }
            guard !name.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
                throw DataError(path, "\(line) holds a control character")
            }
            if let first = lineOf[name] {
                throw DataError(path, "\(line) repeats '\(name)' of line \(first)")
            }
            lineOf[name] = i + 1
            names.append(name)
        }
        guard names.count <= maxClasses else {
            throw DataError(
                path,
                "\(names.count) classes; masks hold at most \(maxClasses) (values 1…254; 0 background, 255 ignore)")
        }
        return names
    }

    /// Classes a mask can hold besides background 0 and ignore 255.
    public static let maxClasses = 254

    public static let voc = [
        "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
        "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
    ]

    /// The 80 COCO thing classes in ascending category-id order.
    public static let coco = [
        "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
        "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
        "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
        "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
        "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
        "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
        "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard",
        "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase",
        "scissors", "teddy bear", "hair drier", "toothbrush",
    ]
}
