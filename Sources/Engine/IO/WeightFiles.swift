import Foundation

/// Reads a weight file by its content: safetensors (eps-dist checkpoints or
/// converted weights), a PyTorch state dict (.pth, zip format) or an MXNet
/// NDArray list (.params, e.g. ademxapp's ImageNet ResNet-38, renamed to our names).
public enum WeightFiles {
    public static func read(_ path: String) throws -> SafeTensorsFile {
        guard FileManager.default.fileExists(atPath: path) else {
            throw WeightFileError(path: path, reason: "file not found (--weights)")
        }
        let data = try contents(path)
        if data.starts(with: [0x50, 0x4B, 0x03, 0x04]) {  // "PK": torch.save zip
            return SafeTensorsFile(tensors: try TorchCheckpoint.read(data, path: path))
        }
        if MXNetParams.hasMagic(data) || path.lowercased().hasSuffix(".params") {  // MXNet list magic 0x112
            return SafeTensorsFile(tensors: try MXNetParams.read(data, path: path))
        }
        return try SafeTensorsFile.parse(data, path: path)
    }

    /// The bytes of a regular file, mapped rather than copied. Anything else
    /// (missing, a directory, a fifo, a device, unreadable) is a WeightFileError
    /// naming the path, so no reader blocks on a fifo or traps on a directory.
    public static func contents(_ path: String) throws -> Data {
        func fail(_ why: String) -> WeightFileError { WeightFileError(path: path, reason: why) }
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            throw fail(code == ENOENT ? "file not found" : "cannot read the file (\(String(cString: strerror(code))))")
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw fail("is a directory, not a weight file")
        default: throw fail("is not a regular file (a fifo, socket or device)")
        }
        if info.st_size == 0 { return Data() }  // nothing to map
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw fail("cannot read the file (missing or unreadable)")
        }
    }
}
