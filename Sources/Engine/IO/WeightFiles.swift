import Foundation

/// Reads a weight file by its kind: safetensors (eps-dist checkpoints or
/// converted weights). Returns name → tensor with metadata.
public enum WeightFiles {
    public static func read(_ path: String) throws -> SafeTensorsFile {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SafeTensorsFile.FormatError(path: path, reason: "file not found (--weights)")
        }
        let lower = path.lowercased()
        if lower.hasSuffix(".pth") || lower.hasSuffix(".pt") || lower.hasSuffix(".params") {
            throw SafeTensorsFile.FormatError(path: path, reason: "PyTorch .pth and MXNet .params weights are not readable yet; convert them to safetensors")
        }
        return try SafeTensorsFile.read(path)
    }
}
