import Foundation
import XCTest

/// Runs the built `eps-dist` (or `mpirun … eps-dist`) as a child process.
enum ProcessHarness {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        var seconds: Double
    }

    /// The folder holding the built products (next to the test bundle).
    static var productsDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["EPS_DIST_BUILD_DIR"] { return URL(fileURLWithPath: dir) }
        let exe = URL(
            fileURLWithPath: CommandLine.arguments[0],
            relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        var dir = exe.standardizedFileURL.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("eps-dist").path) && dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir
    }

    static var binary: String { productsDirectory.appendingPathComponent("eps-dist").path }

    /// Environment for OpenMPI as root on a small machine, one BLAS thread per rank.
    static var mpiEnvironment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        env["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
        env["OMPI_MCA_btl"] = env["OMPI_MCA_btl"] ?? "self,vader"
        env["OMPI_MCA_mpi_yield_when_idle"] = "1"
        env["OPENBLAS_NUM_THREADS"] = "1"
        return env
    }

    @discardableResult
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        timeout: Double = 600
    ) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let outPipe = Pipe()
        let errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        let start = Date()
        // Drain both pipes while the child runs (a full pipe would block it).
        let outData = PipeSink(outPipe)
        let errData = PipeSink(errPipe)
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            kill(process.processIdentifier, SIGKILL)
            XCTFail("\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout) s")
        }
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: outData.wait(), as: UTF8.self),
            stderr: String(decoding: errData.wait(), as: UTF8.self), seconds: Date().timeIntervalSince(start))
    }

    /// eps-dist as a plain process.
    @discardableResult
    static func epsDist(_ arguments: [String], timeout: Double = 600) throws -> Output {
        try run(binary, arguments, timeout: timeout)
    }

    static var mpirun: String {
        for dir in ["/usr/bin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/mpirun") {
            return "\(dir)/mpirun"
        }
        return "mpirun"
    }

    /// eps-dist under `mpirun -n ranks`.
    @discardableResult
    static func mpiEpsDist(ranks: Int, _ arguments: [String], timeout: Double = 600) throws -> Output {
        try run(mpirun, ["-n", "\(ranks)", binary] + arguments, environment: mpiEnvironment, timeout: timeout)
    }

    static func temporaryDirectory(_ name: String) -> String {
        let dir = NSTemporaryDirectory() + "eps-dist-tests-\(getpid())/\(name)"
        try? FileManager.default.removeItem(atPath: dir)
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// Reads a pipe to its end on a background thread.
final class PipeSink: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ pipe: Pipe) {
        let handle = pipe.fileHandleForReading
        DispatchQueue.global().async {
            self.data = handle.readDataToEndOfFile()
            self.done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}

/// A child process started in the background (for signal and kill tests).
final class RunningProcess {
    let process = Process()
    private let out: PipeSink, err: PipeSink
    let started = Date()

    init(_ executable: String, _ arguments: [String], environment: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        let o = Pipe()
        let e = Pipe()
        process.standardOutput = o
        process.standardError = e
        out = PipeSink(o)
        err = PipeSink(e)
        try process.run()
    }

    /// The eps-dist ranks: children of mpirun running the binary.
    func rankPIDs() -> [Int32] {
        let listing =
            (try? String(
                contentsOfFile: "/proc/\(process.processIdentifier)/task/\(process.processIdentifier)/children",
                encoding: .utf8)) ?? ""
        return listing.split(separator: " ").compactMap { Int32($0) }.filter { pid in
            let cmd = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
            return cmd.contains("eps-dist")
        }
    }

    /// Waits for the exit; nil when it is still running after `timeout` (then it is killed).
    func wait(timeout: Double) -> ProcessHarness.Output? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning {
            for pid in rankPIDs() { kill(pid, SIGKILL) }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            _ = out.wait()
            _ = err.wait()
            return nil
        }
        process.waitUntilExit()
        return ProcessHarness.Output(
            status: process.terminationStatus, stdout: String(decoding: out.wait(), as: UTF8.self),
            stderr: String(decoding: err.wait(), as: UTF8.self), seconds: Date().timeIntervalSince(started))
    }
}
