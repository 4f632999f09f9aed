import Engine
import XCTest

/// `eps-dist bench` reads the step's work and its GEMM shapes from the
/// profiler's records. DeepLab-v2 runs the same layers (same names) on the
/// inputs of three scales, so a layer keeps one record per input size: one
/// record per name would count every call with the first call's shapes.
final class LayerProfilerTests: XCTestCase {
    override func tearDown() {
        LayerProfiler.shared.enabled = false
        LayerProfiler.shared.reset()
    }

    func testOneRecordPerInputSizeWithThatSizesWork() {
        let store = ParameterStore()
        let conv = Conv2dLayer("c", store: store, cin: 2, cout: 3, kernel: 3, pad: 1)
        LayerProfiler.shared.reset()
        LayerProfiler.shared.enabled = true
        for size in [8, 4, 8] {
            let y = conv.forward(Tensor(zeros: [1, 2, size, size]), ForwardContext(training: true))
            _ = conv.backward(y, sink: DiscardGradientReports())
        }
        LayerProfiler.shared.enabled = false
        let records = LayerProfiler.shared.records
        XCTAssertEqual(records.map(\.name), ["c", "c"])
        XCTAssertEqual(records.map(\.geometry.h), [8, 4])
        XCTAssertEqual(records.map(\.calls), [2, 1])
        for r in records {
            let macs = 3 * r.geometry.h * r.geometry.w * 2 * 9
            XCTAssertEqual(r.geometry.macs, macs)
            XCTAssertEqual(r.forwardMACs, r.calls * macs)
            XCTAssertEqual(r.backwardMACs, r.calls * 2 * macs, "weight and input gradients")
        }
    }
}
