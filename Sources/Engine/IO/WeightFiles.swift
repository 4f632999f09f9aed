import Foundation

/// Reads a weight file by its content: safetensors (eps-dist checkpoints or
/// converted weights) or a PyTorch state dict (.pth, zip format).
public enum WeightFiles {
    public static func read(_ path: String) throws -> SafeTensorsFile {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SafeTensorsFile.FormatError(path: path, reason: "file not found (--weights)")
        }
        let head = (FileHandle(forReadingAtPath: path)?.readData(ofLength: 4)) ?? Data()
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) {          // "PK": torch.save zip
            return SafeTensorsFile(tensors: try TorchCheckpoint.read(path))
        }
        if path.lowercased().hasSuffix(".params") {
            throw SafeTensorsFile.FormatError(path: path, reason: "MXNet .params weights are not readable yet; convert them to safetensors")
        }
        return try SafeTensorsFile.read(path)
    }
}
