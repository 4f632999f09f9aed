import Engine
import Foundation
import XCTest

/// The from-scratch `small` network in training mode (BatchNorm on batch
/// statistics) against PyTorch (scripts/pytorch/make_small_golden.py): the
/// batch whole on one replica, and split over two replicas whose BatchNorm
/// statistics are summed across them (SyncBatchNorm) — both must give
/// PyTorch's whole-batch result.
final class SmallNetworkTests: XCTestCase {
    static let fixture = NetworkGolden.fixtures + "/small_w4_eps_train.safetensors"

    static func makeModel(_ golden: SafeTensorsFile) throws -> ClassifierModel {
        let model = ClassifierModel(architecture: .small, method: .eps, numClasses: 20, widthDivisor: 4)
        try WeightLoading.load(NetworkGolden.parameters(golden), into: model.store, path: "fixture")
        return model
    }

    /// Forward in training mode and backward from `gradCam`; returns cam.
    static func run(_ model: ClassifierModel, x: Tensor, gradCam: Tensor) -> Tensor {
        let context = ForwardContext(training: true)  // batch statistics (this net has no dropout)
        let cam = model.fc8.forward(model.backbone.layers.forward(x, context), context)
        model.store.zeroGradients()
        let sink = DiscardGradientReports()
        _ = model.backbone.layers.backward(model.fc8.backward(gradCam, sink: sink)!, sink: sink)
        return cam
    }

    func testWholeBatchMatchesPyTorchTrainingMode() throws {
        let golden = try SafeTensorsFile.read(Self.fixture)
        let model = try Self.makeModel(golden)
        let cam = Self.run(model, x: golden.tensors["x"]!, gradCam: golden.tensors["grad_cam"]!)
        NetworkGolden.assertClose("cam", cam, golden.tensors["cam"]!)
        try assertGradientsAndStatistics([model], golden)
    }

    func testSplitOverTwoReplicasWithSyncBatchNormMatchesWholeBatch() throws {
        let golden = try SafeTensorsFile.read(Self.fixture)
        let replicas = [try Self.makeModel(golden), try Self.makeModel(golden)]
        let reducer = InProcessReducer(replicas: 2)
        for model in replicas { model.synchronizeBatchStatistics(reducer) }
        let x = golden.tensors["x"]!
        let gradCam = golden.tensors["grad_cam"]!
        final class Results: @unchecked Sendable { var cams = [Tensor?](repeating: nil, count: 2) }
        let results = Results()
        // Two real threads (a thread pool might run both replicas on one
        // thread, one after the other, and the barrier would never open).
        let lock = NSLock()
        let done = DispatchSemaphore(value: 0)
        for r in 0..<2 {
            Thread {
                let cam = Self.run(replicas[r], x: Self.half(x, r), gradCam: Self.half(gradCam, r))
                lock.lock()
                results.cams[r] = cam
                lock.unlock()
                done.signal()
            }.start()
        }
        for _ in 0..<2 { XCTAssertEqual(done.wait(timeout: .now() + 120), .success, "a replica hung") }
        let joined = Tensor(
            shape: golden.tensors["cam"]!.shape, data: results.cams[0]!.values + results.cams[1]!.values)
        NetworkGolden.assertClose("cam (two replicas)", joined, golden.tensors["cam"]!)
        try assertGradientsAndStatistics(replicas, golden)
        XCTAssertEqual(reducer.calls, 2 * (9 * 2 + 9), "two reductions per BatchNorm forward, one per backward")
    }

    /// Gradients summed over the replicas (the data-parallel allreduce) and
    /// every replica's running statistics equal PyTorch's.
    func assertGradientsAndStatistics(_ replicas: [ClassifierModel], _ golden: SafeTensorsFile) throws {
        var compared = 0
        for (name, expected) in golden.tensors where name.hasPrefix("grad.") {
            let parameter = String(name.dropFirst(5))
            var sum = replicas[0].store.gradientTensor(parameter).values
            for other in replicas.dropFirst() {
                for (i, v) in other.store.gradientTensor(parameter).values.enumerated() { sum[i] += v }
            }
            NetworkGolden.assertClose(name, Tensor(shape: expected.shape, data: sum), expected)
            compared += 1
        }
        XCTAssertEqual(compared, 9 * 3 + 1, "every conv, BatchNorm weight and bias, and fc8")
        for (name, expected) in golden.tensors where name.hasPrefix("after.") {
            for model in replicas {
                NetworkGolden.assertClose(name, model.store.tensor(String(name.dropFirst(6))), expected)
            }
        }
    }

    /// Samples [r·n/2, (r+1)·n/2) of a batch tensor.
    static func half(_ t: Tensor, _ r: Int) -> Tensor {
        let n = t.shape[0]
        let per = t.count / n
        let values = t.values
        return Tensor(
            shape: [n / 2] + t.shape.dropFirst(),
            data: Array(values[(r * n / 2 * per)..<((r + 1) * n / 2 * per)]))
    }
}

/// Sums each call's values over the replicas running on separate threads:
/// every replica deposits its values, the last one to arrive adds them up,
/// and all leave with the sum (a barrier per call, like an allreduce).
final class InProcessReducer: BatchStatisticsReducer, @unchecked Sendable {
    private let condition = NSCondition()
    private let replicas: Int
    private var pending: [[Double]] = []
    private var result: [Double] = []
    private var generation = 0
    private var leaving = 0
    private(set) var calls = 0

    init(replicas: Int) { self.replicas = replicas }

    func sumAcrossReplicas(_ values: inout [Double]) {
        condition.lock()
        defer { condition.unlock() }
        while leaving > 0 { condition.wait() }  // the previous call's replicas are still reading its result
        pending.append(values)
        calls += 1
        let myGeneration = generation
        if pending.count == replicas {
            result = pending.dropFirst().reduce(pending[0]) { zip($0, $1).map { $0 + $1 } }
            pending = []
            generation += 1
            leaving = replicas
            condition.broadcast()
        } else {
            while generation == myGeneration { condition.wait() }
        }
        values = result
        leaving -= 1
        if leaving == 0 { condition.broadcast() }
    }
}
