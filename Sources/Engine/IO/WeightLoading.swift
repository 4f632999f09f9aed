public enum WeightLoading {
    /// Copies tensors into the store by state_dict name. Strict: every
    /// parameter and buffer must be present with its shape and no unknown name
    /// may appear, except names for which `mayBeMissing` / `mayBeExtra` hold
    /// (the new head when fine-tuning; `optimizer.` state of checkpoints).
    @discardableResult
    public static func load(_ tensors: [String: Tensor], into store: ParameterStore, path: String,
                            mayBeMissing: (String) -> Bool = { _ in false },
                            mayBeExtra: (String) -> Bool = { $0.hasPrefix("optimizer.") || $0.hasSuffix("num_batches_tracked") }) throws -> [String] {
        var problems: [String] = []
        var loaded: [String] = []
        for entry in store.entries {
            guard let t = tensors[entry.name] else {
                if !mayBeMissing(entry.name) { problems.append("missing \(entry.name) \(entry.shape)") }
                continue
            }
            guard t.shape == entry.shape || (t.count == entry.count && t.shape.filter { $0 != 1 } == entry.shape.filter { $0 != 1 }) else {
                problems.append("\(entry.name): shape \(t.shape) in the file, the network has \(entry.shape)")
                continue
            }
            loaded.append(entry.name)
        }
        for name in tensors.keys.sorted() where store.index(of: name) == nil && !mayBeExtra(name) {
            problems.append("unexpected \(name) \(tensors[name]!.shape)")
        }
        guard problems.isEmpty else { throw WeightFileError(path: path, problems: problems) }
        for name in loaded { store.set(name, tensors[name]!.reshaped(store.entry(name)!.shape)) }
        return loaded
    }
}
