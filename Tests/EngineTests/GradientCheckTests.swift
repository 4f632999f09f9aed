import Engine
import Foundation
import Support
import XCTest

/// Finite differences against the analytic backward pass: a directional
/// derivative of the whole loss along a random direction in parameter space,
/// and per-kernel input gradients.
final class GradientCheckTests: XCTestCase {
    /// Random tensor from a keyed stream.
    static func random(_ shape: [Int], key: UInt64, scale: Float = 1) -> Tensor {
        var rng = KeyedRandom(key: key)
        return Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in rng.uniform(-scale, scale) })
    }

    /// d loss along v: analytic g·v against (L(w + εv) − L(w − εv)) / 2ε, in Double.
    static func checkModel(
        _ model: ClassifierModel, images: Tensor, saliency: Tensor?, labels: [Float], file: StaticString = #filePath,
        line: UInt = #line
    ) {
        let store = model.store
        let batch = LocalBatch(
            images: images, saliency: saliency, labels: labels,
            sampleKeys: (0..<images.shape[0]).map { UInt64($0 + 11) })
        func loss() -> Double {
            store.zeroGradients()
            let l = model.accumulateGradients(batch, sink: DiscardGradientReports())
            return Double(l.total)
        }
        checkDirectionalDerivative(store, eps: 1e-4, key: 99, loss: loss, file: file, line: line)
    }

    /// d loss along a random direction v over the trained parameters: the analytic g·v (the gradients
    /// `loss()` leaves in the store) against (L(w + εv) − L(w − εv)) / 2ε, in Double, to 2% of the
    /// larger of |numeric| and `floor`.
    static func checkDirectionalDerivative(
        _ store: ParameterStore, eps: Float, key: UInt64, floor: Double = 1e-3, loss: () -> Double,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        _ = loss()
        var rng = KeyedRandom(key: key)
        var direction = [Float](repeating: 0, count: store.count)
        var analytic = 0.0
        for entry in store.entries where entry.trainable {
            guard case .parameter = entry.kind else { continue }
            for j in 0..<entry.count {
                let v = rng.uniform(-1, 1)
                direction[entry.offset + j] = v
                analytic += Double(v) * Double(store.gradients[entry.offset + j])
            }
        }
        let base = Array(UnsafeBufferPointer(start: store.values, count: store.count))
        for i in 0..<store.count { store.values[i] = base[i] + eps * direction[i] }
        let plus = loss()
        for i in 0..<store.count { store.values[i] = base[i] - eps * direction[i] }
        let minus = loss()
        for i in 0..<store.count { store.values[i] = base[i] }
        let numeric = (plus - minus) / (2 * Double(eps))
        XCTAssertNotEqual(analytic, 0, "directional derivative", file: file, line: line)
        XCTAssertEqual(
            analytic, numeric, accuracy: 2e-2 * max(abs(numeric), floor), "directional derivative", file: file,
            line: line)
    }

    /// ‖g‖/√3 of the trained parameters' gradients: the typical |g·v| for v uniform in [−1, 1]ⁿ.
    static func typicalDirectionalDerivative(_ store: ParameterStore) -> Double {
        var squares = 0.0
        for entry in store.entries where entry.trainable {
            guard case .parameter = entry.kind else { continue }
            for j in 0..<entry.count { squares += pow(Double(store.gradients[entry.offset + j]), 2) }
        }
        return (squares / 3).squareRoot()
    }

    func testTinyEPSModelGradient() {
        let model = ClassifierModel(architecture: .tiny, method: .eps, numClasses: 4)
        model.initialize(seed: 3)
        let images = Self.random([2, 3, 24, 24], key: 1)
        var sal = Self.random([2, 1, 24, 24], key: 2, scale: 0.5)
        sal = Tensor(shape: sal.shape, data: sal.values.map { $0 + 0.5 })
        Self.checkModel(model, images: images, saliency: sal, labels: [1, 0, 0, 1, 0, 1, 0, 0])
    }

    func testTinyCAMModelGradient() {
        let model = ClassifierModel(architecture: .tiny, method: .cam, numClasses: 4)
        model.initialize(seed: 4)
        Self.checkModel(
            model, images: Self.random([2, 3, 24, 24], key: 5), saliency: nil, labels: [1, 0, 0, 1, 0, 1, 0, 0])
    }
}
