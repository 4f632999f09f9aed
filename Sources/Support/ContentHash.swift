/// A 64-bit content hash (FNV-1a over 8-byte words, then the tail bytes),
/// as 16 hex digits: fast enough for a 420 MB weight arena (~0.2 s), stable
/// across processes and builds. It identifies content; it is no defence
/// against someone crafting collisions.
public enum ContentHash {
    public static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        let prime: UInt64 = 0x0000_0100_0000_01b3
        let words = bytes.count / 8
        for i in 0..<words { h = (h ^ bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) &* prime }
        for i in (words * 8)..<bytes.count { h = (h ^ UInt64(bytes[i])) &* prime }
        let digits = String(h, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
