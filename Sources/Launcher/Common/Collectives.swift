import Distributed
import Foundation

/// Collectives on Codable values, built on the byte collectives. Every rank
/// takes part in every collective even when its own encoding failed, and
/// fails afterwards, so no rank is left waiting.
extension Communicator {
    /// Every rank's value, on every rank, in rank order.
    func allGather<T: Codable>(_ value: T) throws -> [T] {
        let mine = Result { try JSONEncoder().encode(value) }
        let gathered = gather(bytes: [UInt8]((try? mine.get()) ?? Data()), root: 0)
        let packed = isRoot ? Result { try JSONEncoder().encode(gathered.map { Data($0) }) } : .success(Data())
        let all = broadcast(bytes: [UInt8]((try? packed.get()) ?? Data()), root: 0)
        do {
            _ = try mine.get()
            _ = try packed.get()
            return try JSONDecoder().decode([Data].self, from: Data(all)).map {
                try JSONDecoder().decode(T.self, from: $0)
            }
        } catch {
            throw CommandError(message: "rank \(rank): exchanging \(T.self) between the ranks failed: \(error)")
        }
    }

    func allGatherStrings(_ strings: [String]) throws -> [String] { try allGather(strings).flatMap { $0 } }

    func allGatherLabels(_ labels: [String: [Float]]) throws -> [String: [Float]] {
        try allGather(labels).reduce(into: [:]) { $0.merge($1) { a, _ in a } }
    }
}
