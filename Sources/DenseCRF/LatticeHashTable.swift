/// Open-addressing hash table from a lattice key (d Int32 coordinates) to a
/// vertex index 0..<count, in insertion order. pydensecrf stores Int16 keys;
/// Int32 keys never overflow for coordinates the lattice accepts (|x| < 2^22,
/// checked by `PermutohedralLattice`), and give the same vertices wherever
/// pydensecrf's keys do not overflow.
struct LatticeHashTable {
    let keySize: Int
    /// Keys of the vertices, vertex-major: count × keySize.
    private(set) var keys: [Int32] = []
    private(set) var count = 0
    /// Vertex index per slot, -1 = empty; the capacity is a power of two.
    private var slots: [Int32]
    private var shift: UInt64

    init(keySize: Int, expectedCount: Int) {
        self.keySize = keySize
        var capacity = 16
        while capacity < 2 * expectedCount { capacity *= 2 }
        slots = [Int32](repeating: -1, count: capacity)
        shift = UInt64(64 - capacity.trailingZeroBitCount)
        keys.reserveCapacity(expectedCount * keySize)
    }

    /// Fibonacci hashing of the coordinates: the top bits of the product mix every coordinate.
    private func slot(of key: UnsafePointer<Int32>) -> Int {
        var h: UInt64 = 0
        for k in 0..<keySize {
            h = (h &+ UInt64(UInt32(bitPattern: key[k]))) &* 0x9E37_79B9_7F4A_7C15
        }
        return Int(truncatingIfNeeded: h >> shift)
    }

    private func matches(_ entry: Int, _ key: UnsafePointer<Int32>) -> Bool {
        keys.withUnsafeBufferPointer { stored in
            let base = entry * keySize
            for k in 0..<keySize where stored[base + k] != key[k] { return false }
            return true
        }
    }

    /// The vertex index of `key` (keySize values), or -1 when absent.
    func find(_ key: UnsafePointer<Int32>) -> Int {
        let mask = slots.count - 1
        var s = slot(of: key)
        while true {
            let entry = Int(slots[s])
            if entry < 0 { return -1 }
            if matches(entry, key) { return entry }
            s = (s + 1) & mask
        }
    }

    /// The vertex index of `key`, inserted as the next index when absent.
    mutating func findOrInsert(_ key: UnsafePointer<Int32>) -> Int {
        if 2 * (count + 1) > slots.count { grow() }
        let mask = slots.count - 1
        var s = slot(of: key)
        while true {
            let entry = Int(slots[s])
            if entry < 0 { break }
            if matches(entry, key) { return entry }
            s = (s + 1) & mask
        }
        slots[s] = Int32(count)
        keys.append(contentsOf: UnsafeBufferPointer(start: key, count: keySize))
        count += 1
        return count - 1
    }

    private mutating func grow() {
        var fresh = [Int32](repeating: -1, count: slots.count * 2)
        shift -= 1
        let mask = fresh.count - 1
        let stored = keys
        stored.withUnsafeBufferPointer { k in
            for entry in 0..<count {
                var s = slot(of: k.baseAddress! + entry * keySize)
                while fresh[s] >= 0 { s = (s + 1) & mask }
                fresh[s] = Int32(entry)
            }
        }
        slots = fresh
    }
}
