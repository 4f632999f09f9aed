/// A failure every rank has agreed on: each exits with `code`, rank 0 prints
/// the message; nobody is left in a collective, so no MPI_Abort is needed.
public struct AgreedFailure: Error, CustomStringConvertible {
    public let message: String
    public let code: Int32
    /// False for an orderly stop (preemption): reported as a notice, not an error.
    public var isError = true
    public init(message: String, code: Int32, isError: Bool = true) {
        self.message = message
        self.code = code
        self.isError = isError
    }
    public var description: String { message }
}
