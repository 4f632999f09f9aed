import Support

/// The ImageNet evaluation preprocessing of TensorFlow's EfficientNet(-Lite)
/// (`_decode_and_center_crop`, crop_padding 32): the central square of side
/// ⌊size / (size + 32) · min(width, height)⌋, resized to size×size (bicubic),
/// normalised. `eps-dist classify` applies it before the ImageNet head.
public enum ImageNetCenterCrop {
    public static let cropPadding = 32

    /// image: any channel count (made RGB) → [3, size, size] normalised planes, CHW.
    public static func planes(_ image: Image8, size: Int, normalization: InputNormalization) -> [Float] {
        let rgb = image.rgb()
        let side = max(1, size * min(rgb.width, rgb.height) / (size + cropPadding))
        let square = rgb.cropped(x: (rgb.width - side) / 2, y: (rgb.height - side) / 2, width: side, height: side)
        let resized = PillowResize.resize(square, width: size, height: size)
        return EPSAugmentation.normalizedPlanes(resized, normalization).flatMap { $0 }
    }
}
