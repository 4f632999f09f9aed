import Foundation

/// Reads a weight file by its content: safetensors (eps-dist checkpoints or
/// converted weights), a PyTorch state dict (.pth, zip format) or an MXNet
/// NDArray list (.params, e.g. ademxapp's ImageNet ResNet-38, renamed to our names).
public enum WeightFiles {
    public static func read(_ path: String) throws -> SafeTensorsFile {
        guard FileManager.default.fileExists(atPath: path) else {
            throw WeightFileError(path: path, reason: "file not found (--weights)")
        }
        let head = (FileHandle(forReadingAtPath: path)?.readData(ofLength: 16)) ?? Data()
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) {          // "PK": torch.save zip
            return SafeTensorsFile(tensors: try TorchCheckpoint.read(path))
        }
        if MXNetParams.hasMagic(head) || path.lowercased().hasSuffix(".params") {   // MXNet list magic 0x112
            return SafeTensorsFile(tensors: try MXNetParams.read(path))
        }
        return try SafeTensorsFile.read(path)
    }
}
