import Dispatch

/// Per-layer time and work of the convolutions, for `eps-dist bench`.
/// Off by default; when off, layers only pay one branch.
public final class LayerProfiler: @unchecked Sendable {
    public static let shared = LayerProfiler()
    public var enabled = false

    public struct Record {
        public var name: String
        public var geometry: ConvGeometry
        public var forwardSeconds = 0.0
        public var backwardSeconds = 0.0
        public var forwardMACs = 0
        public var backwardMACs = 0
        public var calls = 0
    }

    public private(set) var records: [Record] = []
    /// A layer run on inputs of several sizes (DeepLab-v2's scales share
    /// their layers' names) gets one record per input size.
    private var index: [String: Int] = [:]

    public func reset() {
        records = []
        index = [:]
    }

    public static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    func slot(_ name: String, _ g: ConvGeometry) -> Int {
        let key = "\(name) \(g.n)×\(g.h)×\(g.w)"
        if let i = index[key] { return i }
        records.append(Record(name: name, geometry: g))
        index[key] = records.count - 1
        return records.count - 1
    }

    func forward(_ name: String, _ g: ConvGeometry, since start: UInt64) {
        let i = slot(name, g)
        records[i].forwardSeconds += Double(Self.now() - start) / 1e9
        records[i].forwardMACs += g.macs
        records[i].calls += 1
    }

    func backward(_ name: String, _ g: ConvGeometry, since start: UInt64, weight: Bool, data: Bool) {
        let i = slot(name, g)
        records[i].backwardSeconds += Double(Self.now() - start) / 1e9
        records[i].backwardMACs += g.macs * ((weight ? 1 : 0) + (data ? 1 : 0))
    }
}
