import Engine

extension SafeTensorsFile {
    /// The largest |self − other| of a tensor relative to that tensor's largest
    /// |value| (floor 1e-6), over the tensors of self whose names `compared`
    /// accepts; infinity when other lacks one of them.
    func worstRelativeDifference(to other: SafeTensorsFile, comparing compared: (String) -> Bool) -> Float {
        var worst: Float = 0
        for (name, tensor) in tensors where compared(name) {
            guard let counterpart = other.tensors[name] else { return .infinity }
            worst = max(worst, tensor.maxAbsDifference(counterpart) / max(tensor.maxAbs, 1e-6))
        }
        return worst
    }
}
