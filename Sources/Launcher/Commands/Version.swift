/// The version eps-dist records in every output it makes (provenance).
public enum EpsDistVersion {
    public static let current = "0.3.0"
}
