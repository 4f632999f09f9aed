import Data
import Foundation
import Support

/// Where the report's inputs are: the run directory's files, and with
/// `--masks` the masks, their ids and the dataset folders to score and show
/// them. Each folder comes from its flag, else from the run's config.yaml or
/// the dataset's usual layout; a missing one is an error naming the path and
/// the flag that sets it.
struct ReportInputs {
    struct Flags {
        var run: String
        var masks: String?
        var dataRoot: String?
        var imgDir: String?
        var gtDir: String?
        var saliencyRoot: String?
        var contextDir: String?
        var cams: String?
        var list: String?
    }

    /// The masks of `infer --cam-png` and what goes with them.
    struct Masks {
        var dir: String
        /// Sorted ids of the masks (the manifest's, but failed images), or --list's.
        var ids: [String]
        /// `provenance.json` as written (nil when there is none).
        var provenance: [String: Any]?
        var dataset: DatasetKind
        var classNames: [String]
        var imageDir: String
        var gtDir: String
        var saliencyDir: String?
        var contextDir: String?
        var camDir: String?
    }

    var run: RunDirectory
    var configText: String
    var config: [String: String]
    var metricsText: String
    var masks: Masks?

    init(_ flags: Flags) throws {
        run = RunDirectory(flags.run)
        try InputFile.requireDirectory(flags.run, what: "the run directory (--run)")
        let trainRun = "(--run must be a folder written by eps-dist train)"
        configText = try InputFile.text(run.config, what: "the run's configuration \(trainRun)")
        config = try FlatYAML.parse(configText, path: run.config)
        metricsText = try InputFile.text(run.metrics, what: "the run's metrics \(trainRun)")
        masks = try flags.masks.map { try Self.masks($0, flags: flags, config: config, configPath: run.config) }
    }

    static func masks(_ dir: String, flags: Flags, config: [String: String], configPath: String) throws -> Masks {
        try InputFile.requireDirectory(dir, what: "the masks folder (--masks, infer's --cam-png)")
        let provenance = try readProvenance(in: dir)
        let datasetName = provenance?["dataset"] as? String ?? config["dataset"] ?? DatasetKind.voc.rawValue
        guard let dataset = DatasetKind(rawValue: datasetName) else {
            throw DataError(
                provenance != nil ? "\(dir)/\(InferenceProvenance.fileName)" : configPath,
                "unknown dataset '\(datasetName)' (known: \(DatasetKind.helpList))")
        }
        guard let dataRoot = flags.dataRoot ?? config["data_root"] else {
            throw UsageError("\(configPath) has no data_root: pass --data-root (the dataset the masks were made of)")
        }
        let fromConfig = flags.dataRoot == nil ? ", default: data_root of \(configPath)" : ""
        try InputFile.requireDirectory(dataRoot, what: "the dataset folder (--data-root\(fromConfig))")
        let layout = DatasetConfig(
            kind: dataset, dataRoot: dataRoot, listFile: "", imageDir: flags.imgDir ?? config["img_dir"])
        try InputFile.requireDirectory(layout.resolvedImageDir, what: "the image folder (--img-dir)")
        let gtDir = try flags.gtDir ?? defaultGroundTruth(dataRoot)
        try InputFile.requireDirectory(gtDir, what: "the ground-truth folder (--gt-dir)")
        let saliency = flags.saliencyRoot ?? config["saliency_root"]
        if let saliency { try InputFile.requireDirectory(saliency, what: "the saliency folder (--saliency-root)") }
        let context = flags.contextDir ?? existingDirectory("\(dataRoot)/context")
        if let context { try InputFile.requireDirectory(context, what: "the context masks folder (--context-dir)") }
        if let cams = flags.cams {
            try InputFile.requireDirectory(cams, what: "the CAM folder (--cams, infer's --cam-npy)")
        }
        return Masks(
            dir: dir, ids: try ids(dir, list: flags.list), provenance: provenance, dataset: dataset,
            classNames: ["background"] + (dataset == .voc ? ClassNames.voc : ClassNames.coco),
            imageDir: layout.resolvedImageDir, gtDir: gtDir, saliencyDir: saliency, contextDir: context,
            camDir: flags.cams)
    }

    /// VOC's SegmentationClassAug, else SegmentationClass (COCO's, or VOC without the augmented set).
    static func defaultGroundTruth(_ dataRoot: String) throws -> String {
        let candidates = ["\(dataRoot)/SegmentationClassAug", "\(dataRoot)/SegmentationClass"]
        guard let found = candidates.compactMap(existingDirectory).first else {
            throw UsageError(
                "no ground truth: neither \(candidates[0]) nor \(candidates[1]) exists; pass --gt-dir "
                    + "(the report scores every mask against it)")
        }
        return found
    }

    static func existingDirectory(_ path: String) -> String? {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            ? path : nil
    }

    /// --list's ids, else those the folder's manifest records as made (failed images have no mask).
    static func ids(_ dir: String, list: String?) throws -> [String] {
        if let list { return try Dataset.readList(list) }
        let made = try InferenceManifest.read(in: dir).values.filter { !$0.status.hasPrefix("failed") }.map(\.id)
        guard !made.isEmpty else {
            throw UsageError(
                "\(dir)/\(InferenceManifest.fileName): no mask recorded (not an infer --cam-png folder?); "
                    + "pass --list FILE naming the ids to show")
        }
        return made.sorted()
    }

    /// The folder's provenance.json as a JSON object, nil when there is none.
    static func readProvenance(in dir: String) throws -> [String: Any]? {
        let path = "\(dir)/\(InferenceProvenance.fileName)"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data = try InputFile.read(path, what: "the masks' provenance")
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw DataError(path, "not a JSON object; infer writes it (infer --overwrite redoes the folder)")
        }
        return object
    }
}
