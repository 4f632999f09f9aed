/// Finds the lattice simplex enclosing a feature vector and the point's
/// barycentric weights, step for step as pydensecrf's SSE `Permutohedral::init`
/// (Float32, round half to even): elevate onto the hyperplane Σx = 0 of
/// R^(d+1), round to the nearest remainder-0 point, sort the differences to
/// get the simplex, wrap ranks back onto the plane.
final class SimplexLocator {
    let dimension: Int
    /// The elevation scale per feature, d values.
    private let scale: UnsafeMutablePointer<Float>
    /// canonical[r·(d+1) + j] = r if j ≤ d − r else r − (d+1): corner r of the canonical simplex.
    private let canonical: UnsafeMutablePointer<Int32>
    // Per-point scratch, d+1 entries (weights d+2, key d), reused for every point:
    // raw pointers, as this runs once per pixel and term.
    private let elevated: UnsafeMutablePointer<Float>
    private let remainder0: UnsafeMutablePointer<Float>
    private let rank: UnsafeMutablePointer<Int>
    private let weights: UnsafeMutablePointer<Float>
    private let key: UnsafeMutablePointer<Int32>

    init(dimension d: Int) {
        dimension = d
        scale = .allocate(capacity: d)
        scale.initialize(from: PermutohedralLattice.scaleFactors(dimension: d), count: d)
        canonical = .allocate(capacity: (d + 1) * (d + 1))
        for r in 0...d {
            for j in 0...d { canonical[r * (d + 1) + j] = Int32(j <= d - r ? r : r - (d + 1)) }
        }
        elevated = .allocate(capacity: d + 1)
        remainder0 = .allocate(capacity: d + 1)
        rank = .allocate(capacity: d + 1)
        weights = .allocate(capacity: d + 2)
        key = .allocate(capacity: d)
    }

    deinit {
        scale.deallocate()
        canonical.deallocate()
        elevated.deallocate()
        remainder0.deallocate()
        rank.deallocate()
        weights.deallocate()
        key.deallocate()
    }

    /// feature: d values. Calls `corner(r, key, weight)` for r = 0...d with the
    /// vertex key (d Int32 coordinates, valid during the call) and its weight.
    func locate(
        _ feature: UnsafePointer<Float>, corner: (Int, UnsafePointer<Int32>, Float) throws -> Void
    ) throws {
        let d = dimension
        let corners = d + 1
        let down = 1 / Float(corners)
        let up = Float(corners)
        // Elevate: y = E·f (p.5 of Adams et al.), running sum from the last feature.
        var sum: Float = 0
        for j in stride(from: d, to: 0, by: -1) {
            let cf = feature[j - 1] * scale[j - 1]
            elevated[j] = sum - Float(j) * cf
            sum += cf
        }
        elevated[0] = sum
        for i in 0...d where !(abs(elevated[i]) < PermutohedralLattice.coordinateLimit) {
            throw DenseCRFError(
                "a lattice coordinate reaches \(elevated[i]): the features are too large for the lattice "
                    + "(a standard deviation far too small?)")
        }
        // Nearest remainder-0 point, and how far it is off the plane.
        var offPlane = 0
        for i in 0...d {
            let v = (down * elevated[i]).rounded(.toNearestOrEven)
            remainder0[i] = v * up
            offPlane += Int(v)
        }
        // Rank of each coordinate's residual (ties go to the later coordinate).
        for i in 0...d { rank[i] = 0 }
        for i in 0..<d {
            let di = elevated[i] - remainder0[i]
            for j in (i + 1)...d {
                if di < elevated[j] - remainder0[j] { rank[i] += 1 } else { rank[j] += 1 }
            }
        }
        // Bring the point back onto the plane.
        for i in 0...d {
            rank[i] += offPlane
            if rank[i] < 0 {
                rank[i] += corners
                remainder0[i] += up
            } else if rank[i] >= corners {
                rank[i] -= corners
                remainder0[i] -= up
            }
        }
        // Barycentric coordinates (p.10 of Adams et al.).
        for i in 0...(d + 1) { weights[i] = 0 }
        for i in 0...d {
            let v = (elevated[i] - remainder0[i]) * down
            weights[d - rank[i]] += v
            weights[d - rank[i] + 1] -= v
        }
        weights[0] += 1 + weights[d + 1]
        for r in 0...d {
            for i in 0..<d { key[i] = Int32(remainder0[i]) + canonical[r * corners + rank[i]] }
            try corner(r, key, weights[r])
        }
    }
}
