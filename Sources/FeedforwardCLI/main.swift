import Feedforward
print("feedforward \(FeedforwardLibrary.version)")
