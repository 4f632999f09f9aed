/// How F(m×m, 3×3) covers an output plane of a convolution with dilation d:
/// a tile's m×m outputs are d apart (rows oy, oy + d, …, oy + (m−1)d), so
/// its (m+2)×(m+2) input tile is the dilated grid iy = oy − padTop + d·j.
/// Output rows are grouped in blocks of m·d; tile row i starts at row
/// (i / d)·m·d + i mod d. Every output position lies in exactly one tile;
/// positions of a tile beyond the plane are computed from zeros and dropped.
///
/// The tiles of all n images are numbered t = (image·tileRows + row)·tileCols
/// + column and processed in chunks of at most `chunk` tiles, which bounds
/// the transformed buffers ((m+2)²·channels·chunk floats each).
public struct WinogradTiling: Sendable, Equatable {
    public let n, outH, outW, dilation: Int
    /// m: outputs per tile side (2 or 4).
    public let tileOutputs: Int
    public let tileRows, tileCols: Int

    public init(n: Int, outH: Int, outW: Int, dilation: Int, tileOutputs: Int) {
        precondition(dilation >= 1, "dilation must be at least 1")
        precondition(tileOutputs >= 1, "a tile has at least one output")
        self.n = n
        self.outH = outH
        self.outW = outW
        self.dilation = dilation
        self.tileOutputs = tileOutputs
        tileRows = Self.tiles(covering: outH, dilation: dilation, tileOutputs: tileOutputs)
        tileCols = Self.tiles(covering: outW, dilation: dilation, tileOutputs: tileOutputs)
    }

    /// Transformed positions per tile: (m + 2)².
    public var positions: Int { (tileOutputs + 2) * (tileOutputs + 2) }

    /// Tiles along one axis: full blocks of m·d rows give d tiles; a partial
    /// block of r rows gives min(r, d).
    static func tiles(covering extent: Int, dilation d: Int, tileOutputs m: Int) -> Int {
        extent / (m * d) * d + min(extent % (m * d), d)
    }

    public var count: Int { n * tileRows * tileCols }

    /// First output row (or column) of tile row (or column) i.
    @inline(__always)
    public func start(_ i: Int) -> Int { i / dilation * tileOutputs * dilation + i % dilation }

    /// Image, first output row and first output column of tile t.
    @inline(__always)
    public func origin(_ t: Int) -> (image: Int, oy: Int, ox: Int) {
        let perImage = tileRows * tileCols
        let image = t / perImage
        let rest = t - image * perImage
        let row = rest / tileCols
        return (image, start(row), start(rest - row * tileCols))
    }

    /// Calls body(k, image, oy, ox) for the k-th tile of `tiles`, walking
    /// rows and columns without a division per tile.
    @inline(__always)
    public func forEach(_ tiles: Range<Int>, _ body: (Int, Int, Int, Int) -> Void) {
        guard !tiles.isEmpty else { return }
        let perImage = tileRows * tileCols
        var image = tiles.lowerBound / perImage
        let rest = tiles.lowerBound - image * perImage
        var row = rest / tileCols
        var column = rest - row * tileCols
        var oy = start(row)
        var ox = start(column)
        var residue = column % dilation  // column mod d: a block of m·d starts after d tiles
        let blockJump = (tileOutputs - 1) * dilation + 1
        for k in 0..<tiles.count {
            body(k, image, oy, ox)
            column += 1
            residue += 1
            if residue == dilation {
                residue = 0
                ox += blockJump
            } else {
                ox += 1
            }
            if column == tileCols {
                (column, residue, ox) = (0, 0, 0)
                row += 1
                if row == tileRows {
                    row = 0
                    image += 1
                }
                oy = start(row)
            }
        }
    }

    /// Floats between the matrices of one transformed buffer (one per
    /// position) holding `count` floats each: rounded up to 4 KB and one cache
    /// line more, so the 16 or 36 streams a transform writes do not alias in
    /// the cache (a plain multiple of 4 KB maps them all to the same cache set).
    public static func positionStride(_ count: Int) -> Int { (count + 1023) / 1024 * 1024 + 16 }

    /// Tiles per chunk so that two transformed buffers of `channels` (the
    /// sum of both sides' channels) stay within `floats`.
    public func chunk(channels: Int, floats: Int = Conv2dWinograd.chunkFloats) -> Int {
        max(1, min(count, floats / (positions * max(channels, 1))))
    }
}
