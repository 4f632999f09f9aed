/// What the dense CRF refuses: sizes, shapes and parameters that would give a
/// wrong or non-finite result. The message names the quantity and its value.
public struct DenseCRFError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }

    static func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw DenseCRFError(message()) }
    }

    /// A standard deviation or weight: finite and inside `range`.
    static func checkParameter(_ name: String, _ value: Float, in range: ClosedRange<Float>) throws {
        try check(
            value.isFinite && range.contains(value),
            "dense CRF \(name) is \(value); it must be in \(range.lowerBound)…\(range.upperBound)")
    }
}
