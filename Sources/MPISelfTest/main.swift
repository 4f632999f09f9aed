import Distributed
import Foundation

// Checks every collective of the MPI communicator; run it under
// `mpirun -n N mpi-selftest`. Rank 0 prints "N passed, M failed"; the exit
// status is non-zero on any failure.

let comm = Communicators.make()
var passed = 0
var failed = 0
func check(_ name: String, _ ok: Bool) {
    // Every rank must agree that a check passed.
    let anyFailed = comm.allreduceMax(ok ? 0 : 1)
    if anyFailed == 0 { passed += 1 } else { failed += 1 }
    if comm.rank == 0 { print("\(anyFailed == 0 ? "ok  " : "FAIL") \(name)") }
}

let n = comm.size
let r = comm.rank
check("size and rank are consistent", r >= 0 && r < n && comm.localRank < comm.localSize && comm.localSize <= n)

var values = (0..<1000).map { Float($0 % 17) + Float(r) }
comm.allreduceMean(&values)
let expectedMean = Float(n - 1) / 2
check(
    "allreduceMean averages over ranks",
    values.enumerated().allSatisfy { abs($0.element - (Float($0.offset % 17) + expectedMean)) < 1e-5 })

var sums = [Double](repeating: Double(r + 1), count: 5)
comm.allreduceSum(&sums)
check("allreduceSum adds over ranks", sums.allSatisfy { $0 == Double(n * (n + 1) / 2) })

check("allreduceMax", comm.allreduceMax(r * 3) == (n - 1) * 3)

var broadcastValues = [Float](repeating: Float(r), count: 100)
broadcastValues.withUnsafeMutableBufferPointer { comm.broadcast($0.baseAddress!, count: $0.count, root: n - 1) }
check("broadcast from the last rank", broadcastValues.allSatisfy { $0 == Float(n - 1) })

check("broadcast string from rank 0", comm.broadcast(string: r == 0 ? "hello ranks" : "", root: 0) == "hello ranks")

let gathered = comm.gather(string: String(repeating: "x", count: r) + "\(r)", root: 0)
check(
    "gather of strings of different lengths",
    r != 0 || gathered == (0..<n).map { String(repeating: "x", count: $0) + "\($0)" })

var big = [Float](repeating: 1, count: 3_000_000)
comm.allreduceMean(&big)
check("allreduceMean of 12 MB", big.allSatisfy { $0 == 1 })

// bf16 sums: small integers are exact in bf16, so the sum is known.
var halves = (0..<5000).map { BFloat16.encode(Float($0 % 7 + r)) }
halves.withUnsafeMutableBufferPointer { comm.allreduceSum(bf16: $0.baseAddress!, count: $0.count) }
check(
    "bf16 allreduce sums over ranks",
    halves.enumerated().allSatisfy { BFloat16.decode($0.element) == Float(n * ($0.offset % 7) + n * (n - 1) / 2) })

// Non-blocking sums advanced by the progress thread give what the calls-only path gives.
for mode in CollectiveProgress.allCases {
    comm.collectiveProgress = mode
    var buffers = (0..<4).map { k in [Float](repeating: Float(r + k), count: 200_000 * (k + 1)) }
    var requests: [CollectiveRequest] = []
    for k in buffers.indices {
        buffers[k].withUnsafeMutableBufferPointer {
            requests.append(comm.startAllreduceSum($0.baseAddress!, count: $0.count))
        }
    }
    var bf16 = [UInt16](repeating: BFloat16.encode(Float(r + 1)), count: 300_000)
    bf16.withUnsafeMutableBufferPointer {
        requests.append(comm.startAllreduceSum(bf16: $0.baseAddress!, count: $0.count))
    }
    Thread.sleep(forTimeInterval: 0.05)  // the helper thread (if any) works meanwhile
    comm.progress(requests)
    comm.wait(requests)
    let expected = (0..<4).map { k in Float(n * (n - 1) / 2 + n * k) }
    check(
        "non-blocking allreduce (f32 and bf16) with progress \(mode.rawValue) "
            + "(active: \(comm.collectiveProgress.rawValue))",
        (n == 1 || comm.collectiveProgress == mode)
            && buffers.indices.allSatisfy { k in buffers[k].allSatisfy { $0 == expected[k] } }
            && bf16.allSatisfy { BFloat16.decode($0) == Float(n * (n + 1) / 2) })
}
comm.collectiveProgress = .calls

comm.barrier()
if r == 0 { print("mpi-selftest on \(n) rank(s): \(passed) passed, \(failed) failed") }
comm.finalize()
exit(failed == 0 ? 0 : 1)
