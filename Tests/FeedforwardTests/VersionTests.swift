import Testing
@testable import Feedforward

@Test func versionIsSet() {
    #expect(!FeedforwardLibrary.version.isEmpty)
}
