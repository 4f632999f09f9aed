import Distributed
import Engine
import Foundation

/// Refuses a batch and crop whose activations cannot fit the node's memory
/// shared by its ranks: an allocation failure would end the job with a trap
/// half-way. Every rank decides from its own node; the outcome is agreed.
enum TrainingMemory {
    static func check(arch: Architecture, widthDivisor: Int, localBatch: Int, crop: Int, comm: Communicator) throws {
        try check(
            network: arch.rawValue, bytesPerPixel: arch.trainingBytesPerPixel / Double(widthDivisor),
            localBatch: localBatch, crop: crop, comm: comm)
    }

    /// `bytesPerPixel`: the network's training memory per input pixel of a crop.
    static func check(network: String, bytesPerPixel: Double, localBatch: Int, crop: Int, comm: Communicator) throws {
        let needed = Double(localBatch) * Double(crop) * Double(crop) * bytesPerPixel
        let perRank = bytesPerRank(comm)
        guard comm.allreduceMax(needed > perRank ? 1 : 0) > 0 else { return }
        let gigabytes = { (bytes: Double) in String(format: "%.1f GB", bytes / 1e9) }
        throw AgreedFailure(
            message: "\(localBatch) image(s) per rank at --crop-size \(crop) need about \(gigabytes(needed)) for "
                + "\(network)'s activations; a node has \(gigabytes(perRank)) for each of its ranks. "
                + "Lower --crop-size or --batch-size, or use more ranks on more nodes.",
            code: ExitStatus.badInput)
    }

    /// The memory a rank may plan for: 90 % of the node's physical memory,
    /// shared by the ranks on the node.
    static func bytesPerRank(_ comm: Communicator) -> Double {
        let node = Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(sysconf(Int32(_SC_PAGESIZE)))
        return 0.9 * node / Double(max(comm.localSize, 1))
    }
}
