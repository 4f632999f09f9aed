import Engine
import Foundation

/// The initial weights `seg-train --weights` accepts, mapped to the names of
/// DeepLabV2Model (deeplab-pytorch's MSC state_dict, `base.` prefix):
/// - deeplab-pytorch's init file `deeplabv1_resnet101-coco.pth` (names
///   without `base.`, plus the 91-class `fc` of DeepLab-v1, dropped; no ASPP,
///   which starts from its N(0, 0.01) initialisation — as `strict=False` there);
/// - a trained deeplab-pytorch MSC checkpoint or an eps-dist seg-train
///   checkpoint (`base.*`, ASPP included);
/// - a torchvision ResNet-101/50 state dict, renamed to the caffe layout
///   (conv1/bn1 → layer1.conv1, layerK.i → layer(K+1).block(i+1), conv1/2/3 →
///   reduce/conv3x3/increase, downsample → shortcut). Same shapes, but
///   torchvision strides in the 3×3 and the caffe layout in the 1×1, so these
///   weights are a start, not an equivalent network (deeplab-pytorch #67).
enum DeepLabInitialWeights {
    enum Source: String {
        case deeplabInit = "deeplab-pytorch init"
        case msc = "DeepLab-v2 checkpoint"
        case torchvision
    }

    static func load(_ path: String, into model: DeepLabV2Model) throws -> Source {
        let file = try WeightFiles.read(path)
        if file.metadata["format"] == Checkpoint.format {
            _ = try Checkpoint.restore(file, into: model, path: path)
            return .msc
        }
        let (tensors, source) = rename(file.tensors)
        try WeightLoading.load(
            tensors, into: model.store, path: path,
            mayBeMissing: { source != .msc && $0.hasPrefix("base.aspp.") },
            mayBeExtra: { $0.hasPrefix("fc.") || $0.hasSuffix("num_batches_tracked") })
        return source
    }

    /// Trained weights for seg-infer: an eps-dist seg-train checkpoint or a
    /// deeplab-pytorch MSC checkpoint, complete (ASPP included).
    static func restoreTrained(_ file: SafeTensorsFile, into model: DeepLabV2Model, path: String) throws {
        if file.metadata["format"] == Checkpoint.format {
            _ = try Checkpoint.restore(file, into: model, path: path)
            return
        }
        let (tensors, source) = rename(file.tensors)
        guard source == .msc else {
            throw UsageError(
                "\(path) holds \(source.rawValue) weights without a trained ASPP head: give a seg-train checkpoint "
                    + "(RUN_DIR/checkpoint.safetensors) or a trained deeplab-pytorch checkpoint")
        }
        try WeightLoading.load(
            tensors, into: model.store, path: path, mayBeMissing: { _ in false },
            mayBeExtra: { $0.hasSuffix("num_batches_tracked") })
    }

    /// The tensors under DeepLabV2Model's names, and which kind of file they came from.
    static func rename(_ tensors: [String: Tensor]) -> ([String: Tensor], Source) {
        if tensors.keys.contains(where: { $0.hasPrefix("base.") }) { return (tensors, .msc) }
        if tensors["conv1.weight"] != nil && tensors.keys.contains(where: { $0.hasPrefix("layer1.0.") }) {
            var out: [String: Tensor] = [:]
            for (name, tensor) in tensors { out[torchvisionName(name)] = tensor }
            return (out, .torchvision)
        }
        var out: [String: Tensor] = [:]
        for (name, tensor) in tensors { out[name.hasPrefix("fc.") ? name : "base." + name] = tensor }
        return (out, .deeplabInit)
    }

    /// `layer2.3.conv2.weight` → `base.layer3.block4.conv3x3.conv.weight`; `fc.*` kept (dropped later).
    static func torchvisionName(_ name: String) -> String {
        var parts = name.split(separator: ".").map(String.init)
        if parts.first == "fc" { return name }
        let modules = [
            "conv1": "reduce.conv", "bn1": "reduce.bn", "conv2": "conv3x3.conv", "bn2": "conv3x3.bn",
            "conv3": "increase.conv", "bn3": "increase.bn",
        ]
        if parts[0] == "conv1" || parts[0] == "bn1" {
            return
                "base.layer1.conv1.\(parts[0] == "conv1" ? "conv" : "bn").\(parts.dropFirst().joined(separator: "."))"
        }
        guard parts.count >= 4, parts[0].hasPrefix("layer"), let layer = Int(parts[0].dropFirst(5)),
            let block = Int(parts[1])
        else { return name }
        let prefix = "base.layer\(layer + 1).block\(block + 1)"
        if parts[2] == "downsample" {
            parts = Array(parts[3...])
            return "\(prefix).shortcut.\(parts[0] == "0" ? "conv" : "bn").\(parts.dropFirst().joined(separator: "."))"
        }
        guard let module = modules[parts[2]] else { return name }
        return "\(prefix).\(module).\(parts[3...].joined(separator: "."))"
    }
}

extension DeepLabV2Model: CheckpointedModel {
    var identity: [(key: String, value: String, flag: String)] {
        [
            ("arch", "deeplabv2-\(spec.name)", "--arch"), ("width_divisor", "\(spec.widthDivisor)", "--width-divisor"),
            ("batch_norm", batchNorm.rawValue, "--arch"),
            ("num_classes", "\(numClasses)", "--dataset or --class-names"),
        ]
    }
    var learnsBatchStatistics: Bool { batchNorm == .trainable }
    func initialWeightsMayLack(_ name: String) -> Bool { name.hasPrefix("base.aspp.") }
    func initialWeightsMayCarry(_ name: String) -> Bool { false }
}
