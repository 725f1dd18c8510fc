import Feedforward
print("feedforward-bench \(FeedforwardLibrary.version)")
