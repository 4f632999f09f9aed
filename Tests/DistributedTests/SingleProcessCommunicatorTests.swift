import Distributed
import XCTest

/// A one-rank run uses the single-process communicator: every collective must
/// leave the data as a one-rank MPI job would (the mean of one value is the
/// value, a gather holds one entry). The MPI communicator itself is tested by
/// mpi-selftest under mpirun (scripts/test.sh) and the multi-rank tests.
final class SingleProcessCommunicatorTests: XCTestCase {
    func testCollectivesOfOneRankKeepTheData() {
        let comm = SingleProcessCommunicator()
        XCTAssertEqual([comm.rank, comm.size, comm.localRank, comm.localSize], [0, 1, 0, 1])
        XCTAssertTrue(comm.isRoot)
        var floats: [Float] = [1.5, -2, 3]
        comm.allreduceMean(&floats)
        XCTAssertEqual(floats, [1.5, -2, 3])
        var doubles = [0.25, 7]
        comm.allreduceSum(&doubles)
        XCTAssertEqual(doubles, [0.25, 7])
        XCTAssertEqual(comm.allreduceMax(-4), -4)
        XCTAssertEqual(comm.broadcast(string: "héllo", root: 0), "héllo")
        XCTAssertEqual(comm.gather(string: "only", root: 0), ["only"])
        floats.withUnsafeMutableBufferPointer { p in
            let request = comm.startAllreduceSum(p.baseAddress!, count: p.count)
            comm.progress([request])
            comm.wait([request])
        }
        XCTAssertEqual(floats, [1.5, -2, 3])
    }
}
