import Feedforward

/// The rows `feedforward predict` reads, handed to the network a chunk at a time: IDX images kept
/// as bytes (each chunk scaled to features when it is predicted), or a CSV file's features.
enum PredictionInput {
    /// `count` images of `pixelCount` bytes each (see `LabeledImages.pixels(ofImagesAt:byteLimit:)`).
    case images(pixels: [UInt8], count: Int, pixelCount: Int)
    /// A matrix of features, one row per example.
    case features(Tensor<Float>)

    /// The number of rows (examples).
    var rowCount: Int {
        switch self {
        case .images(_, let count, _): return count
        case .features(let features): return features.shape[0]
        }
    }

    /// The number of features per row.
    var featureCount: Int {
        switch self {
        case .images(_, _, let pixelCount): return pixelCount
        case .features(let features): return features.shape[1]
        }
    }

    /// The features of `rows`, a matrix of shape `[rows.count, featureCount]`.
    func features(rows: Range<Int>) -> Tensor<Float> {
        switch self {
        case .images(let pixels, _, let pixelCount):
            return LabeledImages.features(ofPixels: pixels, pixelCount: pixelCount, rows: rows)
        case .features(let features):
            return rows == 0..<rowCount ? features : features.slice(alongAxis: 0, rows)
        }
    }
}
