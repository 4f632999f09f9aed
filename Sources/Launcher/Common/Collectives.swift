import Distributed
import Foundation

/// Collectives on Codable values, built on the byte collectives.
extension Communicator {
    /// Every rank's value, on every rank, in rank order.
    func allGather<T: Codable>(_ value: T) -> [T] {
        let mine = (try? JSONEncoder().encode(value)) ?? Data()
        let gathered = gather(bytes: [UInt8](mine), root: 0)
        let packed = isRoot ? ((try? JSONEncoder().encode(gathered.map { Data($0) })) ?? Data()) : Data()
        let all = (try? JSONDecoder().decode([Data].self, from: Data(broadcast(bytes: [UInt8](packed), root: 0)))) ?? []
        return all.compactMap { try? JSONDecoder().decode(T.self, from: $0) }
    }

    func allGatherStrings(_ strings: [String]) -> [String] { allGather(strings).flatMap { $0 } }

    func allGatherLabels(_ labels: [String: [Float]]) -> [String: [Float]] {
        allGather(labels).reduce(into: [:]) { $0.merge($1) { a, _ in a } }
    }
}
