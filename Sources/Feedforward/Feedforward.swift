/// Feedforward: deep feedforward networks with a reverse-mode automatic differentiation engine.
public enum Feedforward {
    /// The library's version.
    public static let version = "0.1.0"
}
