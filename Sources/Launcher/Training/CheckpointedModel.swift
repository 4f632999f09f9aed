import Engine

/// A network the training loop can initialise, checkpoint and restore: the
/// EPS classifier (`train`) and DeepLab-v2 (`seg-train`).
protocol CheckpointedModel: TrainableModel {
    /// What a checkpoint records of the network and a restore checks first,
    /// so that a mismatch is named plainly: metadata key, value, and the flag
    /// that sets it ("arch", "resnet38", "--arch").
    var identity: [(key: String, value: String, flag: String)] { get }
    /// Its BatchNorm learns from batch statistics (num_batches_tracked then counts the steps).
    var learnsBatchStatistics: Bool { get }
    func initialize(seed: UInt64)
    /// Names an initial-weights file may lack (a head trained anew) or carry
    /// beyond the network (a classifier the network does not use).
    func initialWeightsMayLack(_ name: String) -> Bool
    func initialWeightsMayCarry(_ name: String) -> Bool
}

extension ClassifierModel: CheckpointedModel {
    var identity: [(key: String, value: String, flag: String)] {
        [
            ("arch", architecture.rawValue, "--arch"), ("method", method.rawValue, "--method"),
            ("num_classes", "\(numClasses)", "--dataset or --class-names"),
        ]
    }
    var learnsBatchStatistics: Bool { architecture.trainsFromScratch }
    func initialWeightsMayLack(_ name: String) -> Bool { name.hasPrefix("fc8.") }
    /// EfficientNet-Lite0's files carry its ImageNet classifier `_fc`, which fc8 replaces.
    func initialWeightsMayCarry(_ name: String) -> Bool {
        architecture.imageNetHeadPrefix.map(name.hasPrefix) == true
    }
}
