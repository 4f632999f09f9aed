// swift-tools-version:6.0
import Foundation
import PackageDescription

// Module rule (docs/ARCHITECTURE.md, "Modules"): Launcher → {Engine, Data, Distributed, DenseCRF, Support,
// CSystem, ArgumentParser}; Engine → {CBLAS, Support}; Data → {CImage, Support}; Distributed → CMPI;
// DenseCRF (the permutohedral-lattice dense CRF) depends on nothing;
// FuzzInputs (libFuzzer targets, scripts/fuzz.sh) → {Engine, Data, Launcher, Support}.
// Only Distributed sees MPI; Support (atomic files, keyed random streams, byte readers) depends on nothing.
// Release builds keep every check (SwiftPM's -O, not -Ounchecked): measured equal
// speed (docs/PERFORMANCE.md), and a precondition stays an error, not undefined behaviour.

// The Swift kernels (Winograd transforms, im2col, BatchNorm, element-wise passes) are compiled for
// baseline x86-64 (SSE2) unless EPS_DIST_TARGET_CPU names an LLVM CPU (`haswell`, `znver3`):
// a binary for one CPU stops with an illegal instruction on an older one, and AVX2 (`haswell`)
// measured no gain on the ResNet-38 or small step (docs/PERFORMANCE.md, "Vector unit"). Results
// do not change: Swift never fuses a·b + c into an FMA on its own and keeps the order of every
// sum. OpenBLAS picks its own kernels at run time either way.
let targetCPU: String? = ProcessInfo.processInfo.environment["EPS_DIST_TARGET_CPU"].flatMap { $0.isEmpty ? nil : $0 }
let vectorUnit: [SwiftSetting] = targetCPU.map { [.unsafeFlags(["-target-cpu", $0])] } ?? []

let package = Package(
    name: "eps-dist",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "eps-dist", targets: ["eps-dist"]),
        .executable(name: "mpi-selftest", targets: ["MPISelfTest"]),
        // libFuzzer targets of the input readers: built and run by scripts/fuzz.sh (-DEPS_FUZZ).
        .executable(name: "fuzz-inputs", targets: ["FuzzInputs"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        .systemLibrary(
            name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev"])]),
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CSystem", path: "Sources/CSystem"),
        .target(
            name: "CImage", path: "Sources/CImage",
            linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("turbojpeg")]),
        .target(name: "Support", swiftSettings: vectorUnit),
        .target(name: "Engine", dependencies: ["CBLAS", "Support"], swiftSettings: vectorUnit),
        .target(name: "Data", dependencies: ["CImage", "Support"], swiftSettings: vectorUnit),
        .target(name: "Distributed", dependencies: ["CMPI"]),
        .target(name: "DenseCRF", swiftSettings: vectorUnit),
        // The commands live in a library so that tests can call them; the
        // executable is a two-line main.
        .target(
            name: "Launcher",
            dependencies: [
                "Engine", "Data", "Distributed", "DenseCRF", "Support", "CSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], swiftSettings: vectorUnit),
        .executableTarget(name: "eps-dist", dependencies: ["Launcher"], path: "Sources/eps-dist"),
        .executableTarget(
            name: "MPISelfTest", dependencies: ["Distributed"],
            path: "Sources/MPISelfTest"),
        .executableTarget(
            name: "FuzzInputs", dependencies: ["Engine", "Data", "Launcher", "Support"], path: "Sources/FuzzInputs"),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Support"], exclude: ["Fixtures", "Golden"]),
        .testTarget(name: "DataTests", dependencies: ["Data", "Support"], exclude: ["Fixtures"]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed"]),
        .testTarget(name: "DenseCRFTests", dependencies: ["DenseCRF", "Support"], exclude: ["Fixtures"]),
        .testTarget(
            name: "LauncherTests", dependencies: ["Launcher", "Engine", "Data", "Support", "DenseCRF"],
            exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v5]
)
