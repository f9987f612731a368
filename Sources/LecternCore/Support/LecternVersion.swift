/// The version both programs print for `--version` (and lecternd logs at start), so a creator can say
/// which release runs where. Bumped with each release; `0.y` while the file formats may still change.
public enum LecternVersion {
    public static let current = "0.18.0"
}
