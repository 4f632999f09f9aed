import ArgumentParser

/// The settings a parsed command line gave, as YAML-key → text, read from the
/// options struct by reflection: an `@Option var cropSize` given as
/// `--crop-size 64` is `crop_size: 64`. Options not given (nil, or an empty
/// list) are left out, so a config file or a preset supplies them.
enum CommandLineSettings {
    static func given(in options: Any) -> [String: FlatYAMLDecoder.Value] {
        var out: [String: FlatYAMLDecoder.Value] = [:]
        for child in Mirror(reflecting: options).children {
            if let group = child.value as? any OptionGroupValue {
                out.merge(given(in: group.groupValue)) { first, _ in first }
                continue
            }
            guard let label = child.label, label.hasPrefix("_"), let wrapper = child.value as? any GivenValue,
                let text = wrapper.givenText
            else { continue }
            let property = String(label.dropFirst())
            out[SettingKey.yaml(property)] = .init(text: text, source: SettingKey.flag(property))
        }
        return out
    }

    /// The flag property names of an options struct (for checks and tests).
    static func properties(of options: Any) -> [String] {
        Mirror(reflecting: options).children.flatMap { child -> [String] in
            if let group = child.value as? any OptionGroupValue { return properties(of: group.groupValue) }
            guard let label = child.label, label.hasPrefix("_"), child.value is any GivenValue else { return [] }
            return [String(label.dropFirst())]
        }
    }
}

/// An `@OptionGroup` (shared flags such as RunOptions): its flags count as the command's own.
protocol OptionGroupValue {
    var groupValue: Any { get }
}

extension OptionGroup: OptionGroupValue {
    var groupValue: Any { wrappedValue }
}

/// An ArgumentParser property wrapper whose value, when given, has a text.
protocol GivenValue {
    var givenText: String? { get }
}

extension Option: GivenValue {
    var givenText: String? { GivenText.of(wrappedValue) }
}

extension Flag: GivenValue {
    var givenText: String? { GivenText.of(wrappedValue) }
}

enum GivenText {
    /// nil for an absent optional or an empty list; else the YAML text.
    static func of(_ value: Any) -> String? {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let inner = mirror.children.first?.value else { return nil }
            return of(inner)
        }
        if let list = value as? [Int] {
            return list.isEmpty ? nil : "[" + list.map(String.init).joined(separator: ", ") + "]"
        }
        guard let encodable = value as? any Encodable else { return "\(value)" }
        return try? FlatYAMLEncoder.Scalar.text(encodable)
    }
}
