/// How non-blocking collectives (the gradient buckets) advance while the
/// backward pass computes. Open MPI moves a non-blocking collective's bytes
/// only inside MPI calls; over TCP a socket takes a little at each call, so
/// with `.calls` (MPI_Testall when a gradient becomes ready, then MPI_Waitall)
/// most of the bytes wait for the end of backward (docs/PERFORMANCE.md).
/// `.thread` adds a helper thread that tests the collectives in flight every
/// `MPIProgressThread.interval`, every MPI call serialised by one lock
/// (MPI_THREAD_SERIALIZED). The sums are the same either way.
public enum CollectiveProgress: String, CaseIterable, Codable, Sendable {
    case thread, calls
}

/// The element type of gradient averaging on the wire: `f32` (exact: the
/// same weights for every rank count up to float summation order) or `bf16`
/// (half the bytes; each rank's gradient is rounded to bf16 before the sum
/// and every partial sum after, so results depend on the rank count).
public enum AllreduceDType: String, CaseIterable, Codable, Sendable {
    case f32, bf16

    public var bytesPerElement: Int { self == .f32 ? 4 : 2 }
}
