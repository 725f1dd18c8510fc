/// Facts about the Feedforward library.
public enum FeedforwardLibrary {
    /// The library's version.
    public static let version = "0.1.0"
}
