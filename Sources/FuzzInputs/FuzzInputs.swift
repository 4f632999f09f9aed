// libFuzzer targets for every reader of untrusted bytes (docs/ARCHITECTURE.md, "Testing").
// Built and run by scripts/fuzz.sh (coverage, AddressSanitizer, libFuzzer, -DEPS_FUZZ);
// the normal build only gets a main that says so.

#if EPS_FUZZ
    import Data
    import Engine
    import Foundation
    import Launcher
    import Support

    /// One harness per reader: it parses the bytes and ignores thrown errors
    /// (an error is a correct answer; a trap, a crash, a hang or a sanitizer report is a finding).
    /// The names are the folders of Tests/Fuzz/Corpus and Tests/Fuzz/Regressions.
    let fuzzTargets: [String: (Data) -> Void] = [
        "safetensors": { _ = try? SafeTensorsFile.parse($0, path: "fuzz.safetensors") },
        "torch": { _ = try? TorchCheckpoint.read($0, path: "fuzz.pth") },
        "zip": { data in
            guard let zip = try? ZipReader(data) else { return }
            for name in zip.members.keys { _ = try? zip.contents(name) }
        },
        "pickle": { _ = try? PickleReader.parse([UInt8]($0)) },
        "npy": { data in
            _ = try? NumpyFile.parse([UInt8](data))
            _ = try? CAMArrays.parse([UInt8](data))
            _ = try? LabelSources.parseLabelFile(data, path: "fuzz.npy", numClasses: 20)
        },
        "mxnet": { _ = try? MXNetParams.read($0, path: "fuzz.params") },
        "weights": { _ = try? WeightFiles.parse($0, path: "fuzz.weights") },
        "labels": { _ = try? LabelSources.parseLabelFile($0, path: "fuzz.labels", numClasses: 20) },
        "voc-xml": { _ = try? LabelSources.vocObjectNames(xmlData: $0, path: "fuzz.xml") },
        "config": { data in
            guard let text = String(data: data, encoding: .utf8) else { return }  // as InputFile.text
            _ = try? TrainConfig.settings(configText: text, path: "fuzz.yaml")
        },
        "png": { data in
            _ = try? ImageCodecs.decodePNG(data, path: "fuzz.png")
            // With the chunk checksums made right, mutations reach libpng's decoding, not just its CRC check.
            let fixed = withPNGChecksums(data)
            _ = try? ImageCodecs.decodePNG(fixed, path: "fuzz.png")
            _ = try? ImageCodecs.decodePNG(fixed, path: "fuzz.png", indices: true)
        },
        "jpeg": { _ = try? ImageCodecs.decodeJPEG($0, path: "fuzz.jpg") },
    ]

    /// `data` with the CRC of every whole chunk after the 8-byte PNG signature recomputed.
    func withPNGChecksums(_ data: Data) -> Data {
        var bytes = [UInt8](data)
        var at = 8
        while at + 12 <= bytes.count {
            let length = bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) }
            guard length <= bytes.count - at - 12 else { break }
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes[(at + 4)..<(at + 8 + length)] {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            crc ^= 0xFFFF_FFFF
            for i in 0..<4 { bytes[at + 8 + length + i] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * i)) }
            at += 12 + length
        }
        return Data(bytes)
    }

    /// The harness EPS_FUZZ_TARGET names, looked up once; without one the program stops (exit 2).
    let selectedTarget: (Data) -> Void = {
        let name = ProcessInfo.processInfo.environment["EPS_FUZZ_TARGET"] ?? ""
        guard let harness = fuzzTargets[name] else {
            let names = fuzzTargets.keys.sorted().joined(separator: " ")
            FileHandle.standardError.write(Data("set EPS_FUZZ_TARGET to one of: \(names) (not '\(name)')\n".utf8))
            exit(2)
        }
        return harness
    }()

    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
        selectedTarget(Data(bytes: data, count: size))
        return 0
    }

    /// libFuzzer's own `main`, from libclang_rt.fuzzer_no_main (-enable-experimental-feature Extern).
    @_extern(c, "LLVMFuzzerRunDriver")
    func runFuzzerDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    /// The entry point hands over to libFuzzer. Not `-sanitize=fuzzer`'s main: SwiftPM links an executable
    /// with `--defsym main=<Module>_main`, which leaves no room for a main from the fuzzer runtime.
    @main
    enum FuzzInputsMain {
        static func main() {
            _ = selectedTarget  // before libFuzzer starts: a wrong name is a usage error, not a "crash"
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(
                runFuzzerDriver(&argc, &argv) { data, size in
                    guard let data else {
                        selectedTarget(Data())
                        return 0
                    }
                    return fuzzOneInput(data, size)
                })
        }
    }
#else
    import Foundation

    @main
    enum FuzzInputsUsage {
        static func main() {
            FileHandle.standardError.write(
                Data(
                    """
                    fuzz-inputs is built for libFuzzer only: run `bash scripts/fuzz.sh [SECONDS] [TARGET...]`,
                    which builds it with libFuzzer and AddressSanitizer (-DEPS_FUZZ) and runs each target.

                    """.utf8))
            exit(2)
        }
    }
#endif
