import Foundation

/// A single-file output (`--json`, `--csv`, `report --out`): an existing file there is replaced
/// only when it is one of the same kind, so that a mistyped path cannot destroy an input (the
/// checkpoint, a ground-truth mask, a CAM, the datalist). Checked before any work.
enum OutputFile {
    enum Kind: String {
        case json = "a JSON document"
        case csv = "a CSV table"
        case html = "an HTML page"

        /// What such a file starts with (after white space).
        var start: String {
            switch self {
            case .json: return "{"
            case .csv: return "thr,"
            case .html: return "<!DOCTYPE html>"
            }
        }
    }

    static func requireReplaceable(_ path: String, flag: String, kind: Kind) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return }
        guard !isFolder.boolValue else {
            throw UsageError("\(flag) \(path) is a folder; give the path of a file")
        }
        // Devices (/dev/null, /dev/full) are no one's input.
        let type = (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
        guard type == .typeRegular else { return }
        let head = (FileHandle(forReadingAtPath: path).flatMap { try? $0.read(upToCount: 64) }) ?? Data()
        let text = String(decoding: head, as: UTF8.self).drop { $0.isWhitespace }
        guard text.isEmpty || text.hasPrefix(kind.start) else {
            throw UsageError(
                "\(flag) \(path) exists and is not \(kind.rawValue) (writing would replace it: an input?); "
                    + "choose another \(flag) or remove the file")
        }
    }
}
