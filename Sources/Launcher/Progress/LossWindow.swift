/// Running mean of the losses between two log lines.
struct LossWindow {
    private var cls = 0.0, sal = 0.0, count = 0

    mutating func add(cls c: Double, sal s: Double) {
        cls += c
        sal += s
        count += 1
    }

    /// Mean classification and saliency loss since the last reset.
    var mean: (cls: Double, sal: Double) { count == 0 ? (0, 0) : (cls / Double(count), sal / Double(count)) }

    mutating func reset() { self = LossWindow() }
}
