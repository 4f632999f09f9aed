/// Bad usage or bad input: exit status 2, the message names the flag or file.
public struct UsageError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A failure of a command that is not the user's input (exit status 1):
/// I/O, a lost rank, divergence.
public struct CommandError: Error, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
