import Testing
@testable import Feedforward

@Test func versionIsSet() {
    #expect(!Feedforward.version.isEmpty)
}
