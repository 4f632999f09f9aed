/// The permutohedral lattice of Adams et al. (2010) as pydensecrf's
/// `permutohedral.cpp` builds it (its SSE path, the one x86-64 builds use):
/// Gaussian filtering of N points with d features, exp(−½‖f_i − f_j‖²),
/// approximated by splatting onto the vertices of the simplex enclosing each
/// point, blurring with [½, 1, ½] along each of the d+1 lattice axes, and
/// slicing back. Float32 arithmetic in pydensecrf's order, so that results
/// match it to rounding.
///
/// Not exactly Gaussian, symmetric or shift-invariant: the vertices are
/// about one standard deviation apart and only vertices that points touch exist.
public final class PermutohedralLattice {
    /// N, the number of points.
    public let pointCount: Int
    /// d, the number of features per point.
    public let dimension: Int
    /// Lattice vertices touched by the points (plus pydensecrf's padding simplex, see `init`).
    public let vertexCount: Int

    /// Per point and simplex corner r = 0...d: the row of the vertex in the value
    /// buffers (vertex index + 1; row 0 is a zero row for missing neighbours). N × (d+1).
    let vertexRows: [Int32]
    /// Barycentric weight of each corner, N × (d+1); a point's weights sum to 1.
    let barycentric: [Float]
    /// For axis j = 0...d and vertex v: the rows of its two neighbours along j
    /// (0 = not in the lattice), at [(j·V + v)·2 + 0/1]. (d+1) × V × 2.
    let neighbourRows: [Int32]

    /// Diagonal of the elevation matrix, per feature k = 0..<d:
    /// sqrt(2/3)·(d+1) / sqrt((k+1)(k+2)), rounded to Float as pydensecrf does
    /// (d = 2: [1.7321, 1.0]; d = 5: [3.4641, 2.0, 1.4142, 1.0954, 0.8944]).
    public static func scaleFactors(dimension d: Int) -> [Float] {
        let inverseStd = Float((2.0 / 3.0).squareRoot() * Double(d + 1))
        return (0..<d).map { k in Float(1.0 / Double((k + 2) * (k + 1)).squareRoot() * Double(inverseStd)) }
    }

    /// α = 1/(1 + 2^−d), the constant slicing multiplies by (0.8 for d = 2, 0.9697 for d = 5).
    public static func sliceScale(dimension d: Int) -> Float {
        1 / (1 + Float(pow2: -d))
    }

    /// Largest |elevated coordinate| accepted: far inside Float's exact integers
    /// and Int32 keys. Larger means a standard deviation far too small for the data.
    static let coordinateLimit: Float = 4_194_304

    /// features: N × d Float32, point-major (point i's features at [i·d ..< (i+1)·d]).
    /// Throws when a feature is not finite or so large that the lattice coordinates
    /// would lose integer precision.
    public init(features: [Float], pointCount n: Int, dimension d: Int) throws {
        try DenseCRFError.check(n >= 1 && d >= 1, "the lattice needs at least one point and one feature")
        try DenseCRFError.check(
            features.count == n * d, "lattice features hold \(features.count) values, not N·d = \(n)·\(d)")
        try DenseCRFError.check(features.allSatisfy { $0.isFinite }, "a lattice feature is not finite")
        pointCount = n
        dimension = d
        let corners = d + 1
        let simplex = SimplexLocator(dimension: d)
        var table = LatticeHashTable(keySize: d, expectedCount: n)
        var rows = [Int32](repeating: 0, count: n * corners)
        var weights = [Float](repeating: 0, count: n * corners)
        try features.withUnsafeBufferPointer { f in
            for i in 0..<n {
                try simplex.locate(f.baseAddress! + i * d) { r, vertexKey, weight in
                    rows[i * corners + r] = Int32(table.findOrInsert(vertexKey) + 1)
                    weights[i * corners + r] = weight
                }
            }
            // pydensecrf's SSE init works in blocks of 4 points and locates the zero-padded
            // lanes of the last block too: the simplex around the zero vector enters the
            // lattice (with no mass, but it carries blur between its neighbours).
            if n % 4 != 0 {
                let zero = [Float](repeating: 0, count: d)
                try zero.withUnsafeBufferPointer { z in
                    try simplex.locate(z.baseAddress!) { _, vertexKey, _ in _ = table.findOrInsert(vertexKey) }
                }
            }
        }
        vertexRows = rows
        barycentric = weights
        vertexCount = table.count
        neighbourRows = Self.neighbours(of: table, dimension: d)
    }

    /// Neighbours along axis j: the key − 1 on every stored coordinate except j,
    /// which gets + d (for j = d, every coordinate − 1), and the opposite step.
    private static func neighbours(of table: LatticeHashTable, dimension d: Int) -> [Int32] {
        let count = table.count
        var result = [Int32](repeating: 0, count: (d + 1) * count * 2)
        var down = [Int32](repeating: 0, count: d)
        var up = [Int32](repeating: 0, count: d)
        let keys = table.keys
        keys.withUnsafeBufferPointer { k in
            for j in 0...d {
                for v in 0..<count {
                    for c in 0..<d {
                        down[c] = k[v * d + c] - 1
                        up[c] = k[v * d + c] + 1
                    }
                    if j < d {
                        down[j] = k[v * d + j] + Int32(d)
                        up[j] = k[v * d + j] - Int32(d)
                    }
                    result[(j * count + v) * 2] = Int32(table.find(down) + 1)
                    result[(j * count + v) * 2 + 1] = Int32(table.find(up) + 1)
                }
            }
        }
        return result
    }

    /// values: N × c, point-major (channel inner). Returns N × c: for each channel,
    /// the lattice approximation of Σ_j exp(−½‖f_i − f_j‖²)·values[j] (scaled as pydensecrf scales it).
    public func compute(_ values: [Float], channels c: Int) -> [Float] {
        precondition(c >= 1 && values.count == pointCount * c, "lattice values must be N × c")
        var out = [Float](repeating: 0, count: values.count)
        let scratch = LatticeScratch()
        values.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                compute(input.baseAddress!, into: output.baseAddress!, channels: c, scratch: scratch)
            }
        }
        return out
    }

    /// input, output: N × c, point-major; they may be the same buffer. `scratch`
    /// is grown to 2·(V+1)·c floats and reused across calls. With `pointScale`
    /// (N values s) it computes diag(s)·K·diag(s)·input, rounding as a separate
    /// scaling pass would (the CRF's symmetric normalisation) without the extra passes.
    public func compute(
        _ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, channels c: Int,
        scratch: LatticeScratch, pointScale: UnsafePointer<Float>? = nil
    ) {
        precondition(c >= 1, "the lattice filters at least one channel")
        let rowCount = (vertexCount + 1) * c
        scratch.reserve(rowCount)
        var values = scratch.front
        var blurred = scratch.back
        values.initialize(repeating: 0, count: rowCount)
        blurred.initialize(repeating: 0, count: c)  // row 0 stays zero: the missing neighbour
        let corners = dimension + 1
        vertexRows.withUnsafeBufferPointer { rows in
            barycentric.withUnsafeBufferPointer { weights in
                // Splat: each point adds weight × its values to its d+1 vertices.
                for i in 0..<pointCount {
                    let x = input + i * c
                    let s = pointScale?[i] ?? 1
                    for r in 0..<corners {
                        let row = values + Int(rows[i * corners + r]) * c
                        let w = weights[i * corners + r]
                        if pointScale == nil {
                            for k in 0..<c { row[k] += w * x[k] }
                        } else {
                            for k in 0..<c { row[k] += w * (x[k] * s) }
                        }
                    }
                }
            }
        }
        // Blur: [½, 1, ½] along each axis in turn, ping-ponging the two buffers.
        neighbourRows.withUnsafeBufferPointer { neighbours in
            for j in 0...dimension {
                let axis = neighbours.baseAddress! + j * vertexCount * 2
                for v in 0..<vertexCount {
                    let old = values + (v + 1) * c
                    let new = blurred + (v + 1) * c
                    let a = values + Int(axis[2 * v]) * c
                    let b = values + Int(axis[2 * v + 1]) * c
                    for k in 0..<c { new[k] = old[k] + 0.5 * (a[k] + b[k]) }
                }
                swap(&values, &blurred)
            }
        }
        slice(values, into: output, channels: c)
        if let pointScale {
            for i in 0..<pointCount {
                for k in 0..<c { output[i * c + k] *= pointScale[i] }
            }
        }
    }

    /// out[i] = α·Σ_r weight_r(i)·L[vertex_r(i)]. pydensecrf multiplies α into the
    /// weight on its SSE path (c > 2) and into the product on its scalar path (c ≤ 2).
    private func slice(_ lattice: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, channels c: Int) {
        let alpha = Self.sliceScale(dimension: dimension)
        let corners = dimension + 1
        vertexRows.withUnsafeBufferPointer { rows in
            barycentric.withUnsafeBufferPointer { weights in
                for i in 0..<pointCount {
                    let out = output + i * c
                    out.initialize(repeating: 0, count: c)
                    for r in 0..<corners {
                        let row = lattice + Int(rows[i * corners + r]) * c
                        let w = weights[i * corners + r]
                        if c > 2 {
                            let wa = w * alpha
                            for k in 0..<c { out[k] += wa * row[k] }
                        } else {
                            for k in 0..<c { out[k] += w * row[k] * alpha }
                        }
                    }
                }
            }
        }
    }
}

/// Two value buffers of the lattice, kept between calls so that mean-field
/// iterations do not allocate. One per thread.
public final class LatticeScratch {
    private(set) var capacity = 0
    private(set) var front = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private(set) var back = UnsafeMutablePointer<Float>.allocate(capacity: 1)

    public init() {}

    func reserve(_ count: Int) {
        guard count > capacity else { return }
        front.deallocate()
        back.deallocate()
        front = .allocate(capacity: count)
        back = .allocate(capacity: count)
        capacity = count
    }

    deinit {
        front.deallocate()
        back.deallocate()
    }
}

extension Float {
    /// 2^exponent, exact.
    fileprivate init(pow2 exponent: Int) {
        self = Float(sign: .plus, exponent: exponent, significand: 1)
    }
}
