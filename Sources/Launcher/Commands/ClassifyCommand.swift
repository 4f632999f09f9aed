import ArgumentParser
import Data
import Distributed
import Engine
import Foundation

/// `eps-dist classify`: a pretrained backbone's own ImageNet head on one photo,
/// to prove the weights file and the preprocessing right before CAM training
/// replaces the head (scripts/lite0-imagenet-check.sh).
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Top-K ImageNet classes of a photo with a pretrained backbone's own classifier.",
        discussion: """
            Prints a header line starting with '#', then one line per class: index<TAB>probability, most probable
            first (ImageNet-1k indices 0…999). Preprocessing as the network was trained: the central square of side
            224/256 of the shorter side, resized to 224×224 (bicubic), the architecture's normalisation.
            """)

    @Option(help: "Backbone with an ImageNet head: efficientnet-lite0.") var arch: Architecture = .efficientnetLite0
    @Option(help: "Pretrained weights with the ImageNet head (efficientnet-lite0-57934424.pth).") var weights: String
    @Option(help: "A JPEG or PNG photo.") var image: String
    @Option(help: "How many classes to print.") var top: Int = 5
    @Option(help: "Compute threads (default: OPENBLAS_NUM_THREADS or the cores).") var threads: Int?
    @Option(help: "3×3 stride-1 convolutions: auto (Winograd where it pays), gemm or winograd.")
    var convAlgorithm: ConvAlgorithm = .auto

    func validate() throws {
        guard arch == .efficientnetLite0 else {
            throw ValidationError("--arch: only efficientnet-lite0 has an ImageNet head here, not \(arch.rawValue)")
        }
        guard (1...EfficientNetLite0.imageNetClasses).contains(top) else {
            throw ValidationError("--top must lie in 1…\(EfficientNetLite0.imageNetClasses), not \(top)")
        }
    }

    func run() throws {
        RankDiscipline.run(SingleProcessCommunicator()) {
            let comm = SingleProcessCommunicator()
            ThreadPlan.configure(
                requested: threads, convAlgorithm: convAlgorithm, comm: comm, log: RankLog(rank: comm.rank))
            let classifier = ImageNetClassifier()
            try classifier.load(try WeightFiles.read(weights).tensors, path: weights)
            let photo = try ImageCodecs.readPhoto(image)
            let size = EfficientNetLite0.imageSize
            let planes = ImageNetCenterCrop.planes(photo, size: size, normalization: arch.inputNormalization)
            let p = classifier.probabilities(Tensor(shape: [1, 3, size, size], data: planes)).values
            let ranked = p.indices.sorted { p[$0] > p[$1] || (p[$0] == p[$1] && $0 < $1) }.prefix(top)
            print("# \(arch.rawValue) \(weights) \(image) (\(photo.width)×\(photo.height)): top \(top) of \(p.count)")
            for i in ranked { print("\(i)\t\(String(format: "%.6f", p[i]))") }
        }
    }
}
