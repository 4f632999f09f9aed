import Data
import Engine
import Launcher
import XCTest

/// The training configuration: one declaration (TrainSettings) read from
/// flags, a config file and the dataset preset, written as config.yaml.
final class TrainConfigTests: XCTestCase {
    let required = [
        "--data-root", "/data", "--train-list", "/data/train.txt", "--saliency-root", "/data/sal", "--out", "/runs/a",
    ]

    func resolve(_ arguments: [String]) throws -> TrainConfig {
        try TrainConfig.resolve(TrainOptions.parse(arguments))
    }

    func writeConfig(_ text: String) throws -> String {
        let path = ProcessHarness.temporaryDirectory("config") + "/run.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testEveryFlagIsASettingAndEverySettingAFlag() throws {
        let mismatches = try TrainOptions.namingMismatches()
        XCTAssertEqual(mismatches.flagsWithoutSetting, [])
        XCTAssertEqual(mismatches.settingsWithoutFlag, [])
    }

    func testPresetsAreTheReferenceDefaults() throws {
        let voc = try resolve(required)
        XCTAssertEqual([voc.batchSize, voc.cropSize, voc.maxIters], [8, 448, 20_000])
        XCTAssertEqual(voc.resize, 256...512)
        XCTAssertEqual([voc.lr, voc.momentum, voc.lam], [0.01, 5e-4, 0.5])
        XCTAssertEqual(voc.arch, .resnet38)
        let coco = try resolve(required + ["--dataset", "coco"])
        XCTAssertEqual([coco.batchSize, coco.cropSize, coco.maxIters], [16, 321, 256_500])
        XCTAssertEqual(coco.resize, 256...448)
        XCTAssertEqual(coco.lam, 0.9)
    }

    /// The backbone picks its preset too, from a flag or from the config
    /// file: the from-scratch nets get the recipe of docs/QUALITY.md, Adam its
    /// own learning rate; given values still win.
    func testPresetsOfTheFromScratchNetworksAndAdam() throws {
        let small = try resolve(required + ["--arch", "small"])
        XCTAssertEqual([small.lr, small.momentum, small.wtDec], [0.1, 0.9, 1e-4])
        XCTAssertEqual([small.batchSize, small.cropSize, small.maxIters], [16, 128, 2_000])
        XCTAssertEqual(small.resize, 128...192)
        XCTAssertEqual(try resolve(required + ["--arch", "tiny"]).lr, 0.05)
        let adam = try resolve(required + ["--arch", "small", "--optimizer", "adam"])
        XCTAssertEqual(adam.optimizer, .adam)
        XCTAssertEqual(adam.lr, 0.001)
        let fromFile = try resolve(required + ["--config", try writeConfig("arch: small\noptimizer: adam\n")])
        XCTAssertEqual(fromFile.settings, adam.settings)
        XCTAssertEqual(try resolve(required + ["--arch", "small", "--lr", "0.02"]).lr, 0.02)
        XCTAssertTrue(
            TrainSettings.defaultText(\.lr).contains("small: 0.1; tiny: 0.05"), TrainSettings.defaultText(\.lr))
    }

    /// flag > --config > preset, and the file may pick the preset.
    func testPrecedence() throws {
        let path = try writeConfig("# a comment\ndataset: coco\nlr: 0.05\ncrop_size: 64\n")
        let config = try resolve(required + ["--config", path, "--crop-size", "96"])
        XCTAssertEqual(config.dataset, .coco)
        XCTAssertEqual(config.lr, 0.05)
        XCTAssertEqual(config.cropSize, 96)
        XCTAssertEqual(config.batchSize, 16)
    }

    /// config.yaml read back gives the same settings, value for value.
    func testConfigYAMLRoundTrips() throws {
        let config = try resolve(
            required + [
                "--arch", "tiny", "--lr", "0.123", "--resize-size", "40", "80", "--no-jitter",
                "--seed", "18446744073709551615", "--threads", "3", "--allreduce", "flat",
            ])
        let path = try writeConfig(try config.yaml())
        let again = try resolve(["--config", path])
        XCTAssertEqual(again.settings, config.settings)
        XCTAssertFalse(again.jitter)
        XCTAssertEqual(again.seed, .max)
    }

    func testUnknownKeyInConfigIsAnErrorWithAHint() throws {
        let path = try writeConfig("lr: 0.1\nbatchsize: 4\n")
        XCTAssertThrowsError(try resolve(required + ["--config", path])) { error in
            let text = "\(error)"
            XCTAssertTrue(
                text.contains(path) && text.contains("batchsize") && text.contains("did you mean batch_size"), text)
        }
    }

    func testBadValueInConfigNamesTheFileAndKey() throws {
        let path = try writeConfig("max_iters: lots\n")
        XCTAssertThrowsError(try resolve(required + ["--config", path])) { error in
            XCTAssertTrue(
                "\(error)".contains("\(path): `max_iters`") && "\(error)".contains("whole number"), "\(error)")
        }
        // The settings that pick a preset are read on their own; they named the key `value` before.
        for key in ["arch", "optimizer", "dataset"] {
            let bad = try writeConfig("\(key): resnet99\n")
            XCTAssertThrowsError(try resolve(required + ["--config", bad])) { error in
                XCTAssertTrue("\(error)".contains("\(bad): `\(key)`") && "\(error)".contains("use one of"), "\(error)")
            }
        }
    }

    /// Values that parse but make no sense are refused, naming the flag.
    func testOutOfRangeValuesAreRefused() throws {
        for (flag, value) in [
            ("--lr", "inf"), ("--lr", "nan"), ("--lr", "0"), ("--tau", "nan"), ("--lam", "1.5"),
            ("--workers", "-1"), ("--workers", "0"), ("--momentum", "1"), ("--bucket-mb", "0"),
            ("--collective-timeout", "-1"), ("--log-every", "0"), ("--threads", "0"),
            ("--keep-checkpoints", "0"), ("--stop-at-step", "0"), ("--crop-size", "100000"),
            ("--workers", "100000"), ("--bucket-mb", "1e30"), ("--max-iters", "0"), ("--max-iters", "3000000000"),
        ] {
            XCTAssertThrowsError(try resolve(required + ["\(flag)=\(value)"]), "\(flag) \(value)") { error in
                XCTAssertTrue("\(error)".contains(flag), "\(flag) \(value): \(error)")
            }
        }
        // Sizes that would overflow or not fit any node (these trapped before).
        XCTAssertThrowsError(try resolve(required + ["--resize-size", "1", "100000000"])) { error in
            XCTAssertTrue("\(error)".contains("--resize-size"), "\(error)")
        }
        XCTAssertThrowsError(try resolve(["--data-root", "/d", "--train-list", "/l", "--out", "/o"])) { error in
            XCTAssertTrue("\(error)".contains("--saliency-root"), "\(error)")
        }
    }

    /// The help text is built from the same declarations as the defaults.
    func testHelpShowsEveryChoiceAndDefault() {
        let help = TrainOptions.helpMessage()
        for needle in ["resnet50", "tiny", ".pth", ".params", "VOC 8, COCO 16", "--stop-at-step", "--width-divisor"] {
            XCTAssertTrue(help.contains(needle), "help lacks \(needle)")
        }
        let top = EpsDist.helpMessage().split(whereSeparator: \.isWhitespace).joined(separator: " ")
        XCTAssertTrue(top.contains("3 training stopped by SIGTERM/SIGUSR1"), top)
    }

    /// A `#` inside a value is kept (YAML comments need a space before them),
    /// quoted values round-trip, and a key given twice is an error.
    func testConfigValuesCommentsAndDuplicates() throws {
        let path = try writeConfig("data_root: /data/run#3   # the third run\nout: '/runs/a b #2'\nlr: 0.05 # faster\n")
        let config = try resolve(["--config", path, "--train-list", "/l", "--saliency-root", "/s"])
        XCTAssertEqual(config.dataRoot, "/data/run#3")
        XCTAssertEqual(config.out, "/runs/a b #2")
        XCTAssertEqual(config.lr, 0.05)
        let again = try resolve(["--config", try writeConfig(try config.yaml())])
        XCTAssertEqual(again.settings, config.settings)
        // A Windows file: "\r\n" is one Character, and splitting on "\n" read the file as one line.
        let crlf = try resolve(
            required + ["--config", try writeConfig("lr: 0.05\r\nseed: 7\r\n\r\ncrop_size: 64\r\n")])
        XCTAssertEqual(crlf.lr, 0.05)
        XCTAssertEqual(crlf.seed, 7)
        XCTAssertEqual(crlf.cropSize, 64)
        let twice = try writeConfig("lr: 0.1\nseed: 3\nlr: 0.2\n")
        XCTAssertThrowsError(try resolve(required + ["--config", twice])) { error in
            XCTAssertTrue("\(error)".contains("\(twice):3") && "\(error)".contains("line 1"), "\(error)")
        }
    }
}
