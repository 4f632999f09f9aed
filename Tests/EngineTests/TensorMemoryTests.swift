import Engine
import Support
import XCTest

/// Tensor value semantics over pooled buffers, and the steady-state promise:
/// once a training step has run, the next ones take every tensor buffer from
/// the pool (none from the heap) and compute the same numbers in reused,
/// dirty memory as in fresh memory.
final class TensorMemoryTests: XCTestCase {
    static func address(_ t: Tensor) -> UnsafePointer<Float>? { t.withUnsafeBufferPointer { $0.baseAddress } }

    func testCopiesAreIndependentAfterAWrite() {
        let a = Tensor(shape: [2, 2], data: [1, 2, 3, 4])
        var b = a
        XCTAssertEqual(Self.address(a), Self.address(b), "a copy shares the buffer until written")
        b[0] = 9
        XCTAssertEqual(a.values, [1, 2, 3, 4])
        XCTAssertEqual(b.values, [9, 2, 3, 4])
        XCTAssertNotEqual(Self.address(a), Self.address(b))

        var r = a.reshaped([4])
        XCTAssertEqual(Self.address(a), Self.address(r))
        r.withUnsafeMutableBufferPointer { $0[3] = -1 }
        XCTAssertEqual(a.values, [1, 2, 3, 4], "writing a reshaped view must not change the original")
        XCTAssertEqual(r.values, [1, 2, 3, -1])
    }

    func testSoleOwnerWritesInPlace() {
        var t = Tensor(zeros: [1000])
        let before = Self.address(t)
        t.withUnsafeMutableBufferPointer { $0[5] = 2 }
        t[6] = 3
        t.add(Tensor(shape: [1000], data: [Float](repeating: 1, count: 1000)))
        XCTAssertEqual(Self.address(t), before, "no copy when nothing else holds the buffer")
        XCTAssertEqual(t[5], 3)
        XCTAssertEqual(t[6], 4)
        XCTAssertEqual(t[0], 1)
    }

    func testReleasedBuffersComeBackFromThePool() {
        let pool = BufferPool.shared
        let count = 123_457  // a size nothing else in the tests uses
        do { _ = Tensor(zeros: [count]) }
        let start = pool.statistics
        do {
            let t = Tensor(zeros: [count])
            XCTAssertEqual(t.values.max(), 0, "zeros are zeros even in a reused buffer")
        }
        let end = pool.statistics
        XCTAssertEqual(
            end.heapAllocations, start.heapAllocations, "the second tensor of a size must reuse the first one's buffer")
        XCTAssertEqual(end.reuses, start.reuses + 1)
        XCTAssertEqual(end.liveBytes, start.liveBytes)

        pool.trim()
        XCTAssertEqual(pool.statistics.cachedBytes, 0)
        do { _ = Tensor(zeros: [count]) }
        XCTAssertEqual(pool.statistics.heapAllocations, end.heapAllocations + 1, "trim frees the cache")
    }

    func testUncachedTensorsAreFreedNotKept() {
        let pool = BufferPool.shared
        let start = pool.statistics
        do { _ = Tensor(shape: [50_001], data: [Float](repeating: 1, count: 50_001), cached: false) }
        let end = pool.statistics
        XCTAssertEqual(end.cachedBytes, start.cachedBytes)
        XCTAssertEqual(end.heapAllocations, start.heapAllocations)
    }

    func testPoolCanBeToldToFreeInsteadOfKeeping() {
        let pool = BufferPool.shared
        defer { pool.keepsReleasedBuffers = true }
        let before = pool.statistics.cachedBytes
        do { _ = Tensor(zeros: [60_013]) }
        XCTAssertEqual(pool.statistics.cachedBytes, before + 60_013 * 4, "a released buffer is cached")
        pool.keepsReleasedBuffers = false
        XCTAssertEqual(pool.statistics.cachedBytes, 0, "turning caching off frees the cache")
        let start = pool.statistics
        do { _ = Tensor(zeros: [60_013]) }
        do { _ = Tensor(zeros: [60_013]) }
        let end = pool.statistics
        XCTAssertEqual(end.cachedBytes, 0)
        XCTAssertEqual(end.heapAllocations, start.heapAllocations + 2, "nothing kept, nothing reused")
        XCTAssertEqual(end.liveBytes, start.liveBytes)
    }

    /// Large buffers are mapped on their own: zero-filled, writable to the
    /// last float, 2 MB-aligned from 2 MB on (so huge pages can back them),
    /// 64-byte-aligned below; released ones leave the process.
    func testLargeBuffersAreMappedAlignedAndZeroed() {
        for count in [100, MappedMemory.mappingThreshold / 4, 3 << 20, (5 << 20) + 7] {
            let p = MappedMemory.allocateFloats(count)
            let address = UInt(bitPattern: p)
            XCTAssertEqual(address % 64, 0, "\(count)")
            if count * 4 >= 2 << 20 { XCTAssertEqual(address % UInt(2 << 20), 0, "\(count)") }
            if count * 4 >= MappedMemory.mappingThreshold {
                XCTAssertEqual(UnsafeBufferPointer(start: p, count: count).max(), 0, "a fresh mapping is zeros")
            }
            p[0] = 1
            p[count - 1] = 2
            XCTAssertEqual(p[0] + p[count - 1], 3)
            MappedMemory.deallocateFloats(p, count: count)
        }
    }

    /// The arena doubles as parameters are declared; each doubling keeps
    /// every value, gradient and momentum written so far, and leaves the
    /// pages that hold only zeros unmapped (an inference never touches the
    /// gradients and momentum, so they must not become resident).
    func testArenaGrowthKeepsWhatWasWrittenAndMapsNoZeroPages() {
        let store = ParameterStore()
        let a = store.declare("a", shape: [5000], kind: .parameter(.backboneWeight))
        for i in 0..<5000 { store.value(a)[i] = Float(i) + 0.5 }
        store.gradient(a)[4321] = -3
        store.momentum[17] = 2
        let b = store.declare("b", shape: [3_000_000], kind: .parameter(.backboneWeight))
        XCTAssertTrue((0..<5000).allSatisfy { store.value(a)[$0] == Float($0) + 0.5 })
        XCTAssertEqual(store.gradient(a)[4321], -3)
        XCTAssertEqual(store.momentum[17], 2)
        // The gradients of b were never written: none of their pages is
        // resident (checked before anything reads them).
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (UInt(bitPattern: store.gradient(b)) + UInt(page) - 1) / UInt(page) * UInt(page)
        let pages = (store.entries[b].count * 4 - page) / page
        var resident = [UInt8](repeating: 0, count: pages)
        XCTAssertEqual(mincore(UnsafeMutableRawPointer(bitPattern: start), pages * page, &resident), 0)
        XCTAssertEqual(resident.filter { $0 & 1 != 0 }.count, 0, "zero gradient pages were copied in")
        XCTAssertEqual(store.gradientBuffer(b).max(), 0)
        XCTAssertEqual(store.gradientBuffer(a).reduce(0, +), -3)
    }

    /// Steps 3–5 of training take no tensor buffer from the heap; after every
    /// step no tensor is left alive but the inputs (every layer released what
    /// it kept, the frozen ones below the first trained layer kept nothing);
    /// and the loss and gradients are bit-identical to the first step's, which
    /// ran in other buffers: no kernel may depend on what a reused buffer held.
    /// The pool is poisoned with NaN-filled buffers of every size first.
    func checkSteadyState(
        _ arch: Architecture, _ method: Method, widthDivisor: Int = 1, crop: Int,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let model = ClassifierModel(architecture: arch, method: method, numClasses: 3, widthDivisor: widthDivisor)
        model.initialize(seed: 5)
        let images = GradientCheckTests.random([2, 3, crop, crop], key: 7)
        let saliency = Tensor(
            shape: [2, 1, crop, crop],
            data: GradientCheckTests.random([2, 1, crop, crop], key: 8, scale: 0.5).values.map { $0 + 0.5 })
        let store = model.store
        let inputsOnly = BufferPool.shared.statistics.liveBytes
        func step() -> (loss: Float, gradients: [Float]) {
            store.zeroGradients()
            let batch = LocalBatch(
                images: images, saliency: method == .eps ? saliency : nil,
                labels: [1, 0, 1, 0, 1, 0], sampleKeys: [21, 22])
            let l = model.accumulateGradients(batch, sink: DiscardGradientReports())
            XCTAssertEqual(
                BufferPool.shared.statistics.liveBytes, inputsOnly, "tensors kept alive after the step", file: file,
                line: line)
            return (l.total, Array(UnsafeBufferPointer(start: store.gradients, count: store.count)))
        }
        let first = step()
        Self.poisonPool()
        _ = step()
        let before = BufferPool.shared.statistics
        var last = first
        for _ in 0..<3 { last = step() }
        let after = BufferPool.shared.statistics
        let name = "\(arch.rawValue)/\(method.rawValue)"
        XCTAssertEqual(
            after.heapAllocations, before.heapAllocations,
            "\(name): steady-state steps took tensor buffers from the heap", file: file, line: line)
        XCTAssertGreaterThan(
            after.reuses - before.reuses, 30, "\(name): steps should run on reused buffers", file: file, line: line)
        XCTAssertEqual(
            after.liveBytes, before.liveBytes, "\(name): live tensor memory grew across steps", file: file, line: line)
        XCTAssertEqual(last.loss, first.loss, "\(name): loss differs in reused memory", file: file, line: line)
        XCTAssertTrue(
            last.gradients == first.gradients, "\(name): gradients differ in reused memory", file: file, line: line)
        XCTAssertGreaterThan(
            first.gradients.map(abs).max() ?? 0, 0, "\(name): no gradient at all", file: file, line: line)
    }

    /// Fills every cached buffer with NaN, so a kernel that reads an output
    /// element it did not write shows up as NaN.
    static func poisonPool() {
        var held: [Tensor] = []  // take every cached buffer at once, fill it, give them all back
        for (count, buffers) in BufferPool.shared.cachedBufferCounts {
            for _ in 0..<buffers {
                var t = Tensor(uninitialized: [count])
                t.withUnsafeMutableBufferPointer { $0.update(repeating: .nan) }
                held.append(t)
            }
        }
        XCTAssertTrue(BufferPool.shared.cachedBufferCounts.isEmpty)
        held.removeAll()
    }

    /// The inference kernels outside the training step write every element
    /// of their uninitialised outputs too: run in NaN-poisoned buffers of
    /// exactly their output sizes.
    func testInferenceKernelsOverwriteReusedBuffers() {
        let maps = GradientCheckTests.random([1, 3, 5, 7], key: 31)
        for _ in 0..<2 {  // the first run puts buffers of every size in the pool, the second reuses them poisoned
            Self.poisonPool()
            let probabilities = ChannelSoftmax.forward(maps)
            let up = BilinearResize.forward(probabilities, height: 11, width: 13)
            let near = NearestResize.forward(maps, height: 9, width: 4)
            var fusion = CAMFusion(numClasses: 2, height: 11, width: 13, labels: [1, 1], method: .eps)
            fusion.add(maps: maps, flipped: false)
            let norm = fusion.normalized()
            for (name, t) in [("softmax", probabilities), ("bilinear", up), ("nearest", near), ("normalised", norm)] {
                XCTAssertFalse(t.values.contains(where: \.isNaN), "\(name) left an element unwritten")
            }
        }
    }

    func testSteadyStateStepsAllocateNoTensorMemory() {
        checkSteadyState(.resnet38, .eps, widthDivisor: 16, crop: 32)
        checkSteadyState(.resnet38, .cam, widthDivisor: 16, crop: 32)
        checkSteadyState(.resnet50, .eps, widthDivisor: 16, crop: 48)
        checkSteadyState(.tiny, .eps, crop: 24)
    }
}
