import Engine
import Foundation

/// eps-dist checkpoints: safetensors whose tensors carry the reference's
/// state_dict names (the final file loads into the PyTorch model with
/// strict=True), step checkpoints add `optimizer.momentum.<name>` (and
/// Adam's `optimizer.second_moment.<name>`);
/// `__metadata__` holds format, step, seed, architecture, method, classes,
/// the effective config and the run's elapsed seconds.
public enum Checkpoint {
    public static let format = "eps-dist-checkpoint-1"
    static let momentumPrefix = "optimizer.momentum."
    /// Adam's second moment (written only for Adam runs).
    static let secondMomentPrefix = "optimizer.second_moment."

    /// The state arenas of the optimizer and their checkpoint prefixes.
    static func optimizerArenas(_ store: ParameterStore, adam: Bool) -> [(String, UnsafeMutablePointer<Float>)] {
        [(momentumPrefix, store.momentum)] + (adam ? [(secondMomentPrefix, store.secondMoment)] : [])
    }

    static func make(
        _ model: CheckpointedModel, step: Int, seed: UInt64, configYAML: String,
        includeOptimizer: Bool, adam: Bool = false, resumeSignature: String = "", elapsedSeconds: Double? = nil
    ) -> SafeTensorsFile {
        let store = model.store
        var tensors: [String: Tensor] = [:]
        var order: [String] = []
        for (i, entry) in store.entries.enumerated() {
            tensors[entry.name] = Tensor(
                shape: entry.shape, copying: UnsafeBufferPointer(store.valueBuffer(i)), cached: false)
            order.append(entry.name)
        }
        // The optimizer's state per trainable parameter: SGD's momentum, Adam's two moments.
        let state = includeOptimizer ? optimizerArenas(store, adam: adam) : []
        for (prefix, arena) in state {
            for entry in store.entries where entry.trainable {
                tensors[prefix + entry.name] = Tensor(
                    shape: entry.shape, copying: UnsafeBufferPointer(start: arena + entry.offset, count: entry.count),
                    cached: false)
                order.append(prefix + entry.name)
            }
        }
        // PyTorch's BatchNorm2d also saves num_batches_tracked (I64): 0 where EPS
        // never updates BN statistics (pretrained ResNets), the step count where
        // the BatchNorm learns from batch statistics (the from-scratch nets) —
        // the file then loads with strict=True as is.
        var counters: Set<String> = []
        let tracked = Float(model.learnsBatchStatistics ? step : 0)
        for entry in store.entries where entry.name.hasSuffix(".running_var") {
            let name = String(entry.name.dropLast("running_var".count)) + "num_batches_tracked"
            tensors[name] = Tensor(shape: [], data: [tracked], cached: false)
            counters.insert(name)
            order.insert(name, at: order.firstIndex(of: entry.name)! + 1)
        }
        var metadata = [
            "format": format, "step": "\(step)", "seed": "\(seed)", "config": configYAML,
            "resume_signature": resumeSignature,
        ]
        for field in model.identity { metadata[field.key] = field.value }
        // The run's wall-clock time so far: a resumed run's metrics continue it.
        if let elapsedSeconds { metadata["elapsed_s"] = String(elapsedSeconds) }
        var file = SafeTensorsFile(tensors: tensors, metadata: metadata, order: order)
        file.int64Names = counters
        return file
    }

    /// Loads weights (and, with `optimizerState` — a resume — the optimizer's
    /// moments when present) into the model. Checks the
    /// architecture/method/class count recorded by eps-dist first, so a
    /// mismatch is named plainly rather than as a list of shapes.
    static func restore(
        _ file: SafeTensorsFile, into model: CheckpointedModel, path: String,
        allowMissingHead: Bool = false, optimizerState: Bool = false
    ) throws -> Int {
        try checkIdentity(file, of: model, path: path)
        // Initial weights may lack the head and carry a classifier the network does not use.
        try WeightLoading.load(
            file.tensors, into: model.store, path: path,
            mayBeMissing: { allowMissingHead && model.initialWeightsMayLack($0) },
            mayBeExtra: {
                $0.hasPrefix("optimizer.") || $0.hasSuffix("num_batches_tracked")
                    || (allowMissingHead && model.initialWeightsMayCarry($0))
            })
        // Optimizer state only when resuming: initial weights start a new run (step 0, fresh moments).
        let store = model.store
        let adam = file.tensors.keys.contains { $0.hasPrefix(secondMomentPrefix) }
        for (prefix, arena) in optimizerState ? optimizerArenas(store, adam: adam) : [] {
            for entry in store.entries where entry.trainable {
                if let m = file.tensors[prefix + entry.name], m.count == entry.count {
                    m.withUnsafeBufferPointer {
                        (arena + entry.offset).update(from: $0.baseAddress!, count: entry.count)
                    }
                }
            }
        }
        return Int(file.metadata["step"] ?? "0") ?? 0
    }

    /// An eps-dist file made for another network (architecture, method, classes) is named as such.
    static func checkIdentity(_ file: SafeTensorsFile, of model: CheckpointedModel, path: String) throws {
        guard file.metadata["format"] == format else { return }
        let problems = model.identity.compactMap { field -> String? in
            guard let saved = file.metadata[field.key], saved != field.value else { return nil }
            let what = ["arch": "architecture", "num_classes": "classes"][field.key] ?? field.key
            return "\(what) \(saved), expected \(field.value) (\(field.flag))"
        }
        if !problems.isEmpty { throw WeightFileError(path: path, problems: problems) }
    }
}
