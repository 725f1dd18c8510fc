import FeedforwardCommandLine

/// The `feedforward` executable: runs the command line that the `FeedforwardCommandLine` library defines.
@main
enum FeedforwardMain {
    static func main() {
        FeedforwardCommand.main()
    }
}
