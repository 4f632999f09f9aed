import Foundation
import Support

/// Reads a weight file by its content: safetensors (eps-dist checkpoints or
/// converted weights), a PyTorch state dict (.pth, zip format) or an MXNet
/// NDArray list (.params, e.g. ademxapp's ImageNet ResNet-38, renamed to our names).
public enum WeightFiles {
    public static func read(_ path: String) throws -> SafeTensorsFile {
        try parse(contents(path), path: path)
    }

    /// `read` of bytes already in memory; `path` names the file in messages (and a `.params` suffix means MXNet).
    public static func parse(_ data: Data, path: String) throws -> SafeTensorsFile {
        if data.starts(with: [0x50, 0x4B, 0x03, 0x04]) || TorchCheckpoint.isLegacy(data) {  // torch.save: zip or legacy
            return SafeTensorsFile(tensors: try TorchCheckpoint.read(data, path: path))
        }
        if MXNetParams.hasMagic(data) || path.lowercased().hasSuffix(".params") {  // MXNet list magic 0x112
            return SafeTensorsFile(tensors: try MXNetParams.read(data, path: path))
        }
        return try SafeTensorsFile.parse(data, path: path)
    }

    /// The bytes of a regular file (InputFile's checks), as a WeightFileError
    /// naming the path when it is missing, a directory, a fifo or unreadable.
    public static func contents(_ path: String) throws -> Data {
        do { return try InputFile.read(path, what: "a weight file") } catch let e as InputFileError {
            throw WeightFileError(path: path, reason: e.reason)
        }
    }
}
