import Foundation

/// Collectives over the ranks of a job (docs/ARCHITECTURE.md, "Modules"). Distributed knows nothing
/// of layers: it moves flat Float/Double/byte buffers.
public protocol Communicator: AnyObject {
    var rank: Int { get }
    var size: Int { get }
    /// Rank among the processes of this node, and how many share the node.
    var localRank: Int { get }
    var localSize: Int { get }
    /// Element-wise mean over ranks, in place.
    func allreduceMean(_ buffer: UnsafeMutablePointer<Float>, count: Int)
    /// Element-wise sum over ranks, in place.
    func allreduceSum(_ buffer: UnsafeMutablePointer<Double>, count: Int)
    /// The same over bfloat16 values (each partial sum rounded to bf16, see BFloat16).
    func allreduceSum(bf16 buffer: UnsafeMutablePointer<UInt16>, count: Int)
    /// Largest value over ranks (used to agree on flags: errors, signals).
    func allreduceMax(_ value: Int) -> Int
    func broadcast(_ buffer: UnsafeMutablePointer<Float>, count: Int, root: Int)
    func broadcast(bytes: [UInt8], root: Int) -> [UInt8]
    /// Every rank's bytes, at `root` (others get []).
    func gather(bytes: [UInt8], root: Int) -> [[UInt8]]
    func barrier()
    /// Ends the whole job with a message (never returns).
    func abort(_ message: String, code: Int32) -> Never
    func finalize()
    /// Starts an in-place element-wise sum over ranks without waiting;
    /// the buffer must stay untouched until `wait`.
    func startAllreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) -> CollectiveRequest
    /// The same over bfloat16 values (each partial sum rounded to bf16, see BFloat16).
    func startAllreduceSum(bf16 buffer: UnsafeMutablePointer<UInt16>, count: Int) -> CollectiveRequest
    /// How non-blocking collectives advance between `start…` and `wait` (nothing to do for one process).
    var collectiveProgress: CollectiveProgress { get set }
    /// Lets outstanding non-blocking collectives progress (MPI_Testall).
    func progress(_ requests: [CollectiveRequest])
    func wait(_ requests: [CollectiveRequest])
}

/// A non-blocking collective in flight (one MPI request per chunk). Its
/// handles change only under the communicator's MPI lock.
public final class CollectiveRequest: @unchecked Sendable {
    var handles: [OpaquePointer?]
    var done: Bool
    init(handles: [OpaquePointer?]) {
        self.handles = handles
        done = handles.isEmpty
    }
}

extension Communicator {
    public var isRoot: Bool { rank == 0 }

    public func allreduceMean(_ array: inout [Float]) {
        array.withUnsafeMutableBufferPointer { allreduceMean($0.baseAddress!, count: $0.count) }
    }
    public func allreduceSum(_ array: inout [Double]) {
        array.withUnsafeMutableBufferPointer { allreduceSum($0.baseAddress!, count: $0.count) }
    }
    public func broadcast(string: String, root: Int) -> String {
        String(decoding: broadcast(bytes: Array(string.utf8), root: root), as: UTF8.self)
    }
    public func gather(string: String, root: Int) -> [String] {
        gather(bytes: Array(string.utf8), root: root).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// One process, no MPI: every collective is the identity.
public final class SingleProcessCommunicator: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public var localRank: Int { 0 }
    public var localSize: Int { 1 }
    public func allreduceMean(_ buffer: UnsafeMutablePointer<Float>, count: Int) {}
    public func allreduceSum(_ buffer: UnsafeMutablePointer<Double>, count: Int) {}
    public func allreduceSum(bf16 buffer: UnsafeMutablePointer<UInt16>, count: Int) {}
    public func allreduceMax(_ value: Int) -> Int { value }
    public func broadcast(_ buffer: UnsafeMutablePointer<Float>, count: Int, root: Int) {}
    public func broadcast(bytes: [UInt8], root: Int) -> [UInt8] { bytes }
    public func gather(bytes: [UInt8], root: Int) -> [[UInt8]] { [bytes] }
    public func barrier() {}
    public func abort(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        exit(code)
    }
    public func finalize() {}
    public func startAllreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) -> CollectiveRequest {
        CollectiveRequest(handles: [])
    }
    public func startAllreduceSum(bf16 buffer: UnsafeMutablePointer<UInt16>, count: Int) -> CollectiveRequest {
        CollectiveRequest(handles: [])
    }
    public var collectiveProgress = CollectiveProgress.calls
    public func progress(_ requests: [CollectiveRequest]) {}
    public func wait(_ requests: [CollectiveRequest]) {}
}

public enum Communicators {
    /// True when a launcher (mpirun, srun --mpi=pmix, PMI) started this process.
    public static var launchedByMPI: Bool {
        let env = ProcessInfo.processInfo.environment
        return ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"].contains { env[$0] != nil }
    }

    /// MPI under a launcher; a plain process gets the single-process one
    /// (no MPI singleton start-up cost).
    public static func make() -> Communicator {
        launchedByMPI ? MPICommunicator() : SingleProcessCommunicator()
    }
}
