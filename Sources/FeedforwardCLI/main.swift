import Feedforward
print("feedforward \(Feedforward.version)")
