/// The release this build is: the one place the version is written. `deploy-postmortem
/// --version` prints it, the command line sends it as its `User-Agent`, and `serve` logs it.
/// Keep the Helm chart's `appVersion` equal to it.
public enum ProductVersion {
    /// Semantic version of this build.
    public static let current = "0.1.0"

    /// `deploy-postmortem/<version>`: the `User-Agent` of HTTP requests the executable sends.
    public static var userAgent: String { "deploy-postmortem/\(current)" }
}
