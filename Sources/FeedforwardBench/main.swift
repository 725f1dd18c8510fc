import Feedforward
print("feedforward-bench \(Feedforward.version)")
