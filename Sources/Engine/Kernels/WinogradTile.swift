/// The values of one tile in a Winograd transform's domain, on the stack:
/// α × α row-major (α = 4 for F(2×2, 3×3), 6 for F(4×4, 3×3)). Outputs and
/// output gradients (m × m) use the first m² values, row-major.
public protocol WinogradTileValues {
    init()
    /// The α² values p[0], p[stride], …: one per transformed position.
    init(gathering p: UnsafePointer<Float>, stride: Int)
    /// Writes value ξ to p[ξ·stride].
    func scatter(to p: UnsafeMutablePointer<Float>, stride: Int)
    subscript(i: Int) -> Float { get set }
}

/// One Winograd minimal filtering F(m×m, 3×3) (Lavin & Gray 2016): an m × m
/// block of a 3×3 convolution's outputs from an α × α input tile (α = m + 2),
///
///     Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A,
///
/// with α² multiplications instead of 9m². Summing over input channels at each
/// of the α² positions ξ is one GEMM per position (Conv2dWinograd). The weight
/// gradient is the adjoint of the same bilinear form:
/// gW = Gᵀ [ Σ_tiles (A gY Aᵀ) ⊙ (Bᵀ d B) ] G.
public protocol WinogradTransform {
    associatedtype Tile: WinogradTileValues
    /// m: outputs per tile side.
    static var outputs: Int { get }
    /// Bᵀ d B: the α × α input tile → α² values.
    static func inputTransform(_ d: Tile) -> Tile
    /// G g Gᵀ: element e of the 3×3 kernel (row-major) is load(e); calls
    /// store(ξ, u_ξ) for each of the α² positions.
    static func kernelTransform<V: WinogradLanes>(_ load: (Int) -> V, _ store: (Int, V) -> Void)
    /// Aᵀ M A: α² products → the m × m outputs (first m² values).
    static func outputTransform(_ m: Tile) -> Tile
    /// A gY Aᵀ, the adjoint of outputTransform: m × m output gradients → α² values.
    static func outputAdjoint(_ gy: Tile) -> Tile
    /// Gᵀ W G, the adjoint of kernelTransform: value ξ is load(ξ); calls
    /// add(e, gradient of element e) for the nine kernel elements (row-major).
    static func kernelAdjoint<V: WinogradLanes>(_ load: (Int) -> V, _ add: (Int, V) -> Void)
}

/// What the kernel-side transforms compute on: one kernel's values (Float),
/// or 16 consecutive kernels' in the lanes of a SIMD16, so that each position
/// is one 64-byte store (the kernel side is cout·cin transforms per pass,
/// which at small planes costs as much as the tiles' side).
public protocol WinogradLanes {
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Float, b: Self) -> Self
}

extension Float: WinogradLanes {}
extension SIMD16: WinogradLanes where Scalar == Float {}

extension SIMD16 where Scalar == Float {
    /// p[0], p[stride], …, p[15·stride].
    @inline(__always)
    init(gathering p: UnsafePointer<Float>, stride: Int) {
        self.init()
        for j in 0..<16 { self[j] = p[j &* stride] }
    }

    /// The 16 floats at p (any alignment).
    @inline(__always)
    init(loading p: UnsafePointer<Float>) {
        self = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    /// Stores the 16 lanes at p (any alignment).
    @inline(__always)
    func store(to p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: self, as: SIMD16<Float>.self)
    }
}

extension WinogradTileValues {
    /// body with the tile's values as one pointer: indexing through it, not
    /// the subscript, keeps a large tile from being copied at each access.
    @inline(__always)
    public func withValues<R>(_ body: (UnsafePointer<Float>) -> R) -> R {
        withUnsafeBytes(of: self) { body($0.baseAddress!.assumingMemoryBound(to: Float.self)) }
    }

    @inline(__always)
    public mutating func withMutableValues<R>(_ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        withUnsafeMutableBytes(of: &self) { body($0.baseAddress!.assumingMemoryBound(to: Float.self)) }
    }
}

extension WinogradTransform {
    /// α: inputs per tile side.
    @inline(__always) public static var span: Int { outputs + 2 }
    /// α²: transformed positions, one GEMM each.
    @inline(__always) public static var positions: Int { span * span }
}

/// 16 floats: one tile of F(2×2, 3×3) (4×4, row-major).
public struct WinogradTile: WinogradTileValues {
    private var storage:
        (Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    public init() {}

    @inline(__always)
    public init(gathering p: UnsafePointer<Float>, stride: Int) {
        storage = (
            p[0], p[stride], p[2 &* stride], p[3 &* stride], p[4 &* stride], p[5 &* stride], p[6 &* stride],
            p[7 &* stride], p[8 &* stride], p[9 &* stride], p[10 &* stride], p[11 &* stride], p[12 &* stride],
            p[13 &* stride], p[14 &* stride], p[15 &* stride]
        )
    }

    @inline(__always)
    public func scatter(to p: UnsafeMutablePointer<Float>, stride: Int) {
        let s = storage
        p[0] = s.0
        p[stride] = s.1
        p[2 &* stride] = s.2
        p[3 &* stride] = s.3
        p[4 &* stride] = s.4
        p[5 &* stride] = s.5
        p[6 &* stride] = s.6
        p[7 &* stride] = s.7
        p[8 &* stride] = s.8
        p[9 &* stride] = s.9
        p[10 &* stride] = s.10
        p[11 &* stride] = s.11
        p[12 &* stride] = s.12
        p[13 &* stride] = s.13
        p[14 &* stride] = s.14
        p[15 &* stride] = s.15
    }

    public subscript(i: Int) -> Float {
        @inline(__always) get {
            withUnsafeBytes(of: storage) { $0.load(fromByteOffset: i &* 4, as: Float.self) }
        }
        @inline(__always) set {
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: newValue, toByteOffset: i &* 4, as: Float.self) }
        }
    }
}

/// 36 floats: one tile of F(4×4, 3×3) (6×6, row-major).
public struct WinogradTile36: WinogradTileValues {
    private var storage:
        (
            Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float,
            Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float,
            Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float, Float
        ) = (
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
        )

    public init() {}

    @inline(__always)
    public init(gathering p: UnsafePointer<Float>, stride: Int) {
        withMutableValues { t in for i in 0..<36 { t[i] = p[i &* stride] } }
    }

    @inline(__always)
    public func scatter(to p: UnsafeMutablePointer<Float>, stride: Int) {
        withValues { t in for i in 0..<36 { p[i &* stride] = t[i] } }
    }

    public subscript(i: Int) -> Float {
        @inline(__always) get {
            withUnsafeBytes(of: storage) { $0.load(fromByteOffset: i &* 4, as: Float.self) }
        }
        @inline(__always) set {
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: newValue, toByteOffset: i &* 4, as: Float.self) }
        }
    }
}
