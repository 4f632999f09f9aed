/// FNV-1a: a hash that is the same in every process and build (Swift's
/// Hasher is seeded per process), for comparing configurations across ranks.
public enum StableHash {
    public static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }
}
