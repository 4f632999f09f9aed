import Support

/// A command's persisted settings (`train`'s TrainSettings, `seg-train`'s
/// SegTrainSettings), resolved the same way: flag > `--config FILE` > the
/// preset that the given values pick (dataset, network, …), then validated.
protocol LayeredSettings: Codable {
    /// The preset for these given values, and how to name it in messages.
    static func preset(given: [String: FlatYAMLDecoder.Value]) throws -> (settings: Self, name: String)
    /// Every setting's YAML key (a config file's other keys are refused).
    static func settingKeys() throws -> [String]
    func validate(training: Bool) throws
}

/// The resolution of LayeredSettings.
enum SettingsResolver {
    /// Flags over `--config` over the preset, decoded and validated.
    static func resolve<S: LayeredSettings>(
        _: S.Type, options: Any, configPath: String?, training: Bool = true
    ) throws -> S {
        let flags = CommandLineSettings.given(in: options)
        let file = try configPath.map { try configFile(S.self, $0) } ?? [:]
        return try settings(S.self, file.merging(flags) { _, flag in flag }, training: training)
    }

    /// The given values over the preset they pick, decoded and validated.
    static func settings<S: LayeredSettings>(
        _: S.Type, _ layered: [String: FlatYAMLDecoder.Value], training: Bool = true
    ) throws -> S {
        let (preset, name) = try S.preset(given: layered)
        let defaults = try FlatYAMLEncoder.encode(preset).dictionary.mapValues {
            FlatYAMLDecoder.Value(text: $0, source: name)
        }
        let settings = try FlatYAMLDecoder.decode(S.self, from: defaults.merging(layered) { _, given in given })
        try settings.validate(training: training)
        return settings
    }

    /// A config file's settings; a key that is not a setting is an error
    /// naming the closest one (a typo must not train at the default).
    static func configFile<S: LayeredSettings>(_: S.Type, _ path: String) throws -> [String: FlatYAMLDecoder.Value] {
        try configText(S.self, InputFile.text(path, what: "the config file (--config)"), path: path)
    }

    /// `configFile` of text in memory; `path` names it in messages.
    static func configText<S: LayeredSettings>(
        _: S.Type, _ text: String, path: String
    ) throws -> [String: FlatYAMLDecoder.Value] {
        let pairs = try FlatYAML.parse(text, path: path)
        let known = try S.settingKeys()
        let unknown = pairs.keys.filter { !known.contains($0) }.sorted()
        if !unknown.isEmpty {
            let hints = unknown.map { key in
                SettingKey.closest(to: key, in: known).map { "\(key) (did you mean \($0)?)" } ?? key
            }
            throw UsageError(
                "\(path): unknown setting(s): \(hints.joined(separator: ", ")); the settings are: "
                    + "\(known.joined(separator: ", "))"
            )
        }
        return pairs.mapValues { .init(text: $0, source: path) }
    }

    /// The value of an enum setting that picks a preset: given, or `fallback`.
    static func pick<T: Decodable>(
        _: T.Type, _ key: String, in given: [String: FlatYAMLDecoder.Value], fallback: String
    ) throws -> T {
        try FlatYAMLDecoder.decode(
            T.self, key: key, fromText: given[key]?.text ?? fallback, source: given[key]?.source ?? "")
    }
}
