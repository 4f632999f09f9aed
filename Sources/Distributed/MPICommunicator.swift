import CMPI
import Foundation

/// Communicator over MPI_COMM_WORLD (MPI_Init_thread, SERIALIZED: the main
/// thread calls MPI, and with `CollectiveProgress.thread` the progress thread
/// too, never both at once: every call holds `mpiLock`). Counts above
/// Int32.max are sent in chunks.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    public let localRank: Int
    public let localSize: Int
    private let world: MPI_Comm
    private static let chunk = Int(Int32.max / 2)
    private let mpiLock = NSLock()
    /// Whether the MPI library lets a second thread call MPI (serialised).
    private var threadsAllowed = false
    private var progressThread: MPIProgressThread?
    /// The sum of bf16 values (BFloat16.accumulate), created once.
    private lazy var bf16Sum: MPI_Op? = {
        var op: MPI_Op? = nil
        MPI_Op_create(
            { input, accumulator, length, _ in
                guard let input, let accumulator, let length else { return }
                BFloat16.accumulate(
                    input.assumingMemoryBound(to: UInt16.self), into: accumulator.assumingMemoryBound(to: UInt16.self),
                    count: Int(length.pointee))
            }, 1, &op)
        return op
    }()

    public init() {
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        var provided: Int32 = 0
        if initialized == 0 {
            MPI_Init_thread(nil, nil, cmpi_thread_serialized(), &provided)
        } else {
            MPI_Query_thread(&provided)
        }
        threadsAllowed = provided >= cmpi_thread_serialized()
        world = cmpi_comm_world()
        var r: Int32 = 0
        var s: Int32 = 0
        MPI_Comm_rank(world, &r)
        MPI_Comm_size(world, &s)
        rank = Int(r)
        size = Int(s)
        var node: MPI_Comm? = nil
        MPI_Comm_split_type(world, cmpi_comm_type_shared(), r, cmpi_info_null(), &node)
        var lr: Int32 = 0
        var ls: Int32 = 1
        if let node {
            MPI_Comm_rank(node, &lr)
            MPI_Comm_size(node, &ls)
            var n: MPI_Comm? = node
            MPI_Comm_free(&n)
        }
        localRank = Int(lr)
        localSize = Int(ls)
    }

    public func allreduceMean(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        forEachChunk(count) { offset, n in
            _ = serialized { MPI_Allreduce(cmpi_in_place(), buffer + offset, n, cmpi_float(), cmpi_sum(), world) }
        }
        if size > 1 {
            let inv = 1 / Float(size)
            for i in 0..<count { buffer[i] *= inv }
        }
    }

    public func allreduceSum(_ buffer: UnsafeMutablePointer<Double>, count: Int) {
        forEachChunk(count) { offset, n in
            _ = serialized { MPI_Allreduce(cmpi_in_place(), buffer + offset, n, cmpi_double(), cmpi_sum(), world) }
        }
    }

    /// Blocking MPI_Allreduce: over TCP its pipelined ring moves large
    /// buffers faster than MPI_Iallreduce does (docs/PERFORMANCE.md).
    public func allreduceSum(bf16 buffer: UnsafeMutablePointer<UInt16>, count: Int) {
        let op = serialized { bf16Sum }
        forEachChunk(count) { offset, n in
            _ = serialized { MPI_Allreduce(cmpi_in_place(), buffer + offset, n, cmpi_uint16(), op, world) }
        }
    }

    public func allreduceMax(_ value: Int) -> Int {
        var v = Int64(value)
        serialized { MPI_Allreduce(cmpi_in_place(), &v, 1, cmpi_int64(), cmpi_max(), world) }
        return Int(v)
    }

    public func broadcast(_ buffer: UnsafeMutablePointer<Float>, count: Int, root: Int) {
        forEachChunk(count) { offset, n in
            _ = serialized { MPI_Bcast(buffer + offset, n, cmpi_float(), Int32(root), world) }
        }
    }

    public func broadcast(bytes: [UInt8], root: Int) -> [UInt8] {
        var length = Int64(bytes.count)
        serialized { MPI_Bcast(&length, 1, cmpi_int64(), Int32(root), world) }
        var out = rank == root ? bytes : [UInt8](repeating: 0, count: Int(length))
        if length > 0 {
            out.withUnsafeMutableBufferPointer { p in
                forEachChunk(Int(length)) { offset, n in
                    _ = serialized { MPI_Bcast(p.baseAddress! + offset, n, cmpi_uint8(), Int32(root), world) }
                }
            }
        }
        return out
    }

    public func gather(bytes: [UInt8], root: Int) -> [[UInt8]] {
        var length = Int32(bytes.count)
        var lengths = [Int32](repeating: 0, count: size)
        serialized { MPI_Gather(&length, 1, cmpi_int32(), &lengths, 1, cmpi_int32(), Int32(root), world) }
        var displacements = [Int32](repeating: 0, count: size)
        var total: Int32 = 0
        for i in 0..<size {
            displacements[i] = total
            total += lengths[i]
        }
        var all = [UInt8](repeating: 0, count: rank == root ? Int(total) : 0)
        var mine = bytes
        mine.withUnsafeMutableBufferPointer { send in
            all.withUnsafeMutableBufferPointer { recv in
                _ = serialized {
                    MPI_Gatherv(
                        send.baseAddress, length, cmpi_uint8(), recv.baseAddress, &lengths, &displacements,
                        cmpi_uint8(), Int32(root), world)
                }
            }
        }
        guard rank == root else { return [] }
        return (0..<size).map { Array(all[Int(displacements[$0])..<Int(displacements[$0] + lengths[$0])]) }
    }

    public func barrier() { serialized { MPI_Barrier(world) } }

    public func startAllreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) -> CollectiveRequest {
        startAllreduce(
            UnsafeMutableRawPointer(buffer), count: count, elementBytes: 4, type: cmpi_float(), op: cmpi_sum())
    }

    public func startAllreduceSum(bf16 buffer: UnsafeMutablePointer<UInt16>, count: Int) -> CollectiveRequest {
        let op = serialized { bf16Sum }
        return startAllreduce(
            UnsafeMutableRawPointer(buffer), count: count, elementBytes: 2, type: cmpi_uint16(), op: op)
    }

    /// MPI_Iallreduce in place over chunks; handed to the progress thread when there is one.
    private func startAllreduce(
        _ buffer: UnsafeMutableRawPointer, count: Int, elementBytes: Int, type: MPI_Datatype?, op: MPI_Op?
    ) -> CollectiveRequest {
        var handles: [OpaquePointer?] = []
        forEachChunk(count) { offset, n in
            var request: MPI_Request? = cmpi_request_null()
            serialized {
                MPI_Iallreduce(cmpi_in_place(), buffer + offset * elementBytes, n, type, op, world, &request)
            }
            handles.append(request)
        }
        let request = CollectiveRequest(handles: handles)
        progressThread?.add(request)
        return request
    }

    public var collectiveProgress: CollectiveProgress {
        get { progressThread == nil ? .calls : .thread }
        set {
            switch newValue {
            case .thread where progressThread == nil && threadsAllowed && size > 1:
                progressThread = MPIProgressThread { [unowned self] in self.test($0) }
            case .calls:
                progressThread?.stop()
                progressThread = nil
            default: break
            }
        }
    }

    /// MPI_Testall on each request not yet done; returns those still in flight.
    private func test(_ requests: [CollectiveRequest]) -> [CollectiveRequest] {
        serialized {
            requests.filter { r in
                if !r.done {
                    var flag: Int32 = 0
                    let n = Int32(r.handles.count)
                    _ = r.handles.withUnsafeMutableBufferPointer {
                        MPI_Testall(n, $0.baseAddress, &flag, cmpi_statuses_ignore())
                    }
                    r.done = flag != 0
                }
                return !r.done
            }
        }
    }

    public func progress(_ requests: [CollectiveRequest]) {
        // The progress thread tests them already.
        if progressThread == nil { _ = test(requests) }
    }

    public func wait(_ requests: [CollectiveRequest]) {
        serialized {
            for r in requests where !r.done {
                let n = Int32(r.handles.count)
                r.handles.withUnsafeMutableBufferPointer { _ = MPI_Waitall(n, $0.baseAddress, cmpi_statuses_ignore()) }
                r.done = true
            }
        }
    }

    public func abort(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("error (rank \(rank)): \(message)\n".utf8))
        progressThread?.stop()
        serialized { _ = MPI_Abort(world, code) }
        exit(code)
    }

    deinit { progressThread?.stop() }

    public func finalize() {
        collectiveProgress = .calls
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 { MPI_Finalize() }
    }

    /// Runs one MPI call (or a few) while holding the MPI lock.
    @discardableResult
    private func serialized<T>(_ body: () -> T) -> T {
        mpiLock.lock()
        defer { mpiLock.unlock() }
        return body()
    }

    private func forEachChunk(_ count: Int, _ body: (Int, Int32) -> Void) {
        var offset = 0
        while offset < count {
            let n = min(Self.chunk, count - offset)
            body(offset, Int32(n))
            offset += n
        }
    }
}
