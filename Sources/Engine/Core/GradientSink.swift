/// Told the store index of each parameter whose gradient is final for this
/// step, in backward order. Passed into every `backward`, so a call site that
/// runs backward says that it may start a collective: the trainer's
/// GradientBuckets starts a bucket's allreduce as soon as its last gradient
/// is reported, overlapping communication with the rest of the backward pass.
public protocol GradientSink: AnyObject {
    func gradientReady(_ index: Int)
}

/// A sink that ignores every report (tests, gradient checks, flat averaging).
public final class DiscardGradientReports: GradientSink {
    public init() {}
    public func gradientReady(_ index: Int) {}
}
