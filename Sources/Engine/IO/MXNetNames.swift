/// ademxapp's parameter names → the official EPS / eps-dist state_dict names,
/// as EPS's `convert_mxnet_to_torch` maps them (the .params layout is in MXNetParams.swift).
extension MXNetParams {
    /// Strips `arg:`/`aux:`, drops the ImageNet classifier, maps every other name.
    static func rename(_ entries: [(name: String, tensor: Tensor)], path: String) throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        var unknown: [String] = []
        for (stored, tensor) in entries {
            var name = Substring(stored)
            if name.hasPrefix("arg:") || name.hasPrefix("aux:") { name = name.dropFirst(4) }
            let block = name.prefix { $0 != "_" }
            if block == "linear1000" || block == "fc1000" { continue }
            guard let target = stateDictName(String(name)) else {
                unknown.append(stored)
                continue
            }
            guard out[target] == nil else {
                throw WeightFileError(path: path, reason: "MXNet .params: two entries map to \(target)")
            }
            out[target] = tensor
        }
        guard unknown.isEmpty else {
            let listed = unknown.prefix(10).joined(separator: ", ") + (unknown.count > 10 ? ", …" : "")
            throw WeightFileError(
                path: path,
                reason: "MXNet .params: \(unknown.count) name(s) are not ademxapp "
                    + "ResNet-38 names: " + listed)
        }
        return out
    }

    /// ademxapp name (no `arg:`/`aux:`) → state_dict name, nil if it is not one:
    /// `conv1a_weight` → `conv1a.weight`;
    /// `res<S>a_branch<X>_weight` → `b<S>.conv_branch<X>.weight`;
    /// `res<S>b<k>_branch<X>_weight` → `b<S>_<k>.conv_branch<X>.weight`;
    /// `bn<S>a_branch<X>_<p>` / `bn<S>b<k>_branch<X>_<p>` → `b<S>[_<k>].bn_branch<X>.<p'>`;
    /// `bn7_<p>` → `bn7.<p'>`; with p' = weight, bias, running_mean, running_var for
    /// p = gamma, beta, moving_mean, moving_var (the short mean/var are taken too,
    /// as the official converter only looks at the last `_` token).
    public static func stateDictName(_ name: String) -> String? {
        let bnParams = [
            "gamma": "weight", "beta": "bias", "moving_mean": "running_mean",
            "moving_var": "running_var", "mean": "running_mean", "var": "running_var",
        ]
        let tokens = name.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        guard tokens.count >= 2 else { return nil }
        let rest = tokens.dropFirst().joined(separator: "_")
        if tokens[0] == "conv1a" { return rest == "weight" ? "conv1a.weight" : nil }
        if tokens[0] == "bn7" { return bnParams[rest].map { "bn7." + $0 } }
        // res<S>a / res<S>b<k> / bn<S>a / bn<S>b<k>, then branch<X>, then the parameter.
        let isConv = tokens[0].hasPrefix("res")
        guard isConv || tokens[0].hasPrefix("bn"), tokens.count >= 3, tokens[1].hasPrefix("branch"),
            tokens[1].count > "branch".count
        else { return nil }
        let id = tokens[0].dropFirst(isConv ? 3 : 2)
        let stage = id.prefix { $0.isASCII && $0.isNumber }
        let suffix = id.dropFirst(stage.count)
        guard !stage.isEmpty else { return nil }
        let module: String
        if suffix == "a" {
            module = "b\(stage)"
        } else if suffix.first == "b", suffix.count > 1,
            suffix.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber })
        {
            module = "b\(stage)_\(suffix.dropFirst())"
        } else {
            return nil
        }
        let parameter = tokens.dropFirst(2).joined(separator: "_")
        if isConv { return parameter == "weight" ? "\(module).conv_\(tokens[1]).weight" : nil }
        return bnParams[parameter].map { "\(module).bn_\(tokens[1]).\($0)" }
    }
}
