public enum WeightLoading {
    /// Copies tensors into the store by state_dict name. Strict: every
    /// parameter and buffer must be present with its shape and no unknown name
    /// may appear, except names for which `mayBeMissing` / `mayBeExtra` hold
    /// (the new head when fine-tuning; `optimizer.` state of checkpoints).
    @discardableResult
    public static func load(
        _ tensors: [String: Tensor], into store: ParameterStore, path: String,
        mayBeMissing: (String) -> Bool = { _ in false },
        mayBeExtra: (String) -> Bool = {
            $0.hasPrefix("optimizer.") || $0.hasSuffix("num_batches_tracked")
        }
    ) throws -> [String] {
        var problems: [String] = []
        var loaded: [(entry: ParameterStore.Entry, tensor: Tensor)] = []
        for entry in store.entries {
            guard let t = tensors[entry.name] else {
                if !mayBeMissing(entry.name) { problems.append("missing \(entry.name) \(entry.shape)") }
                continue
            }
            // Shapes that differ only in size-1 axes load, reshaped to the network's.
            let squeezed = t.shape.filter { $0 != 1 } == entry.shape.filter { $0 != 1 }
            guard t.shape == entry.shape || (t.count == entry.count && squeezed) else {
                problems.append("\(entry.name): shape \(t.shape) in the file, the network has \(entry.shape)")
                continue
            }
            // NaN or infinite values would train or infer to garbage without a word.
            if let bad = t.withUnsafeBufferPointer({ $0.firstIndex { !$0.isFinite } }) {
                problems.append("\(entry.name): value \(t[bad]) at index \(bad) is not finite (a diverged run?)")
                continue
            }
            // A variance below zero makes 1/sqrt(var + eps) NaN in every BatchNorm that reads it.
            if entry.name.hasSuffix("running_var"), let bad = t.withUnsafeBufferPointer({ $0.firstIndex { $0 < 0 } }) {
                problems.append(
                    "\(entry.name): value \(t[bad]) at index \(bad) is negative (a variance; a damaged file?)")
                continue
            }
            loaded.append((entry, t))
        }
        for (name, t) in tensors.sorted(by: { $0.key < $1.key }) where store.index(of: name) == nil {
            if !mayBeExtra(name) { problems.append("unexpected \(name) \(t.shape)") }
        }
        guard problems.isEmpty else { throw WeightFileError(path: path, problems: problems) }
        for (entry, t) in loaded { store.set(entry.name, t.reshaped(entry.shape)) }
        return loaded.map(\.entry.name)
    }
}
