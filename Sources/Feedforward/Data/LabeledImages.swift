import Foundation

/// One split of a labelled image dataset, as plain row-major arrays.
///
/// `pixels` holds `count` images of `height * width` bytes, the way IDX files store them (a quarter of
/// the memory of floats); ``images`` gives them scaled to [0, 1] as a matrix of shape
/// `shape == [count, height * width]`. `labels[i]` is the class of image `i`, in `0..<classCount`.
public struct LabeledImages: Equatable, Sendable {
    /// Pixel bytes, image after image, each row-major.
    public var pixels: [UInt8]
    /// The class index of each image.
    public var labels: [Int32]
    /// Image height in pixels.
    public var height: Int
    /// Image width in pixels.
    public var width: Int
    /// The number of classes labels are drawn from.
    public var classCount: Int

    /// Creates a split; `pixels.count` must be `labels.count * height * width`.
    public init(pixels: [UInt8], labels: [Int32], height: Int, width: Int, classCount: Int) {
        precondition(height >= 0 && width >= 0 && pixels.count == labels.count * height * width,
                     "pixels.count must equal labels.count * height * width")
        self.pixels = pixels
        self.labels = labels
        self.height = height
        self.width = width
        self.classCount = classCount
    }

    /// Pixels scaled to [0, 1], image after image (computed from ``pixels``).
    public var images: [Float] { Self.scaled(pixels) }

    /// Pixel bytes scaled to [0, 1]: the one rule by which images become features.
    static func scaled(_ pixels: some Collection<UInt8>) -> [Float] { pixels.map { Float($0) / 255 } }

    /// The number of images.
    public var count: Int { labels.count }

    /// The number of pixels per image.
    public var pixelCount: Int { height * width }

    /// The shape of `images` as a matrix: `[count, height * width]`.
    public var shape: [Int] { [count, pixelCount] }

    /// The images with the given indices, in that order.
    public func subset<Indices: Sequence>(_ indices: Indices) -> LabeledImages where Indices.Element == Int {
        var pickedPixels: [UInt8] = []
        var pickedLabels: [Int32] = []
        for i in indices {
            precondition(i >= 0 && i < count, "index \(i) out of range 0..<\(count)")
            pickedPixels.append(contentsOf: pixels[(i * pixelCount)..<((i + 1) * pixelCount)])
            pickedLabels.append(labels[i])
        }
        return LabeledImages(pixels: pickedPixels, labels: pickedLabels, height: height, width: width, classCount: classCount)
    }

    /// Loads images and labels from two IDX files (plain or gzip-compressed).
    ///
    /// The images must be unsigned bytes of shape `[n, height, width]` (or `[n, pixels]`, read as
    /// `height = 1`); the labels integers of shape `[n]`, each in `0..<classCount`. Both headers are
    /// checked against each other and the image bytes against `byteLimit` before any data is read
    /// or decompressed.
    /// - Throws: `DataError`: for instance `.mismatch` when the counts differ, `.tooLarge` past the
    ///   limit, and `.labelOutOfRange` for a bad label.
    public static func load(images imagesURL: URL, labels labelsURL: URL, classCount: Int,
                            byteLimit: Int = IDX.defaultByteLimit) throws -> LabeledImages {
        precondition(classCount > 0 && classCount <= Int(Int32.max), "classCount must be positive")
        let (imageCount, height, width) = try checkImageHeader(imagesURL, byteLimit: byteLimit)
        let (labelType, labelShape) = try IDX.readHeader(contentsOf: labelsURL)
        guard labelShape.count == 1, labelType != .float32, labelType != .float64 else {
            throw DataError(.invalidHeader, path: labelsURL.path, at: .byteOffset(2),
                            "labels must be a 1-dimensional integer array, found \(labelType) of shape \(labelShape)")
        }
        guard labelShape[0] == imageCount else {
            throw DataError(.mismatch, path: labelsURL.path, "\(labelShape[0]) labels for \(imageCount) images in \(imagesURL.path)")
        }
        let labelArray = try IDX.read(contentsOf: labelsURL, byteLimit: byteLimit)
        guard labelArray.shape == labelShape, let labelValues = labelArray.integers() else {
            throw DataError(.mismatch, path: labelsURL.path, "the file changed while it was read")
        }
        let headerSize = 4 + 4 * labelArray.shape.count
        var labels: [Int32] = []
        labels.reserveCapacity(labelValues.count)
        for (i, label) in labelValues.enumerated() {
            guard label >= 0 && label < classCount else {
                throw DataError(.labelOutOfRange, path: labelsURL.path,
                                at: .byteOffset(headerSize + i * labelArray.dataType.byteCount),
                                "label \(label) of item \(i) is outside 0..<\(classCount)")
            }
            labels.append(Int32(label))
        }
        let pixels = try readPixels(imagesURL, count: imageCount, byteLimit: byteLimit)
        return LabeledImages(pixels: pixels, labels: labels, height: height, width: width, classCount: classCount)
    }

    /// Reads images without labels (for prediction) by the rule of `load(images:labels:classCount:byteLimit:)`:
    /// unsigned bytes of shape `[n, height, width]` or `[n, pixels]`, scaled to [0, 1] as `images` does.
    /// - Returns: a matrix of shape `[n, height * width]`.
    /// - Throws: `DataError`.
    public static func features(ofImagesAt url: URL, byteLimit: Int = IDX.defaultByteLimit) throws -> Tensor<Float> {
        let (pixels, count, pixelCount) = try pixels(ofImagesAt: url, byteLimit: byteLimit)
        return features(ofPixels: pixels, pixelCount: pixelCount, rows: 0..<count)
    }

    /// Reads images without labels by the rule of ``features(ofImagesAt:byteLimit:)``, but keeps them
    /// as bytes, a quarter of the memory of features, so that a large file can be scaled and used a
    /// few images at a time with ``features(ofPixels:pixelCount:rows:)``.
    /// - Returns: `count` images of `pixelCount` bytes each, image after image.
    /// - Throws: `DataError`.
    public static func pixels(
        ofImagesAt url: URL, byteLimit: Int = IDX.defaultByteLimit
    ) throws -> (pixels: [UInt8], count: Int, pixelCount: Int) {
        let (count, height, width) = try checkImageHeader(url, byteLimit: byteLimit)
        return (try readPixels(url, count: count, byteLimit: byteLimit), count, height * width)
    }

    /// The images `rows` of `pixels` (images of `pixelCount` bytes each, as ``pixels(ofImagesAt:byteLimit:)``
    /// returns them) scaled to [0, 1] as ``images`` is: a matrix of shape `[rows.count, pixelCount]`.
    public static func features(ofPixels pixels: [UInt8], pixelCount: Int, rows: Range<Int>) -> Tensor<Float> {
        precondition(rows.lowerBound >= 0 && rows.upperBound * pixelCount <= pixels.count,
                     "features(ofPixels:pixelCount:rows:): rows \(rows) outside the \(pixels.count) bytes given")
        return Tensor(shape: [rows.count, pixelCount], scaled(pixels[(rows.lowerBound * pixelCount)..<(rows.upperBound * pixelCount)]))
    }

    /// Checks that an image file declares unsigned bytes of rank 2 or 3 within `byteLimit`;
    /// returns the image count, height and width.
    static func checkImageHeader(_ url: URL, byteLimit: Int) throws -> (count: Int, height: Int, width: Int) {
        let (dataType, shape) = try IDX.readHeader(contentsOf: url)
        guard dataType == .uint8 else {
            throw DataError(.unsupportedDataType, path: url.path, at: .byteOffset(2),
                            "images must be unsigned bytes (IDX type 08), found \(dataType)")
        }
        let height: Int, width: Int
        switch shape.count {
        case 2: (height, width) = (1, shape[1])
        case 3: (height, width) = (shape[1], shape[2])
        default:
            throw DataError(.invalidHeader, path: url.path, at: .byteOffset(3),
                            "images must have shape [count, height, width], found \(shape)")
        }
        let bytes = shape.reduce(1, *)   // cannot overflow: checked by readHeader
        guard bytes <= byteLimit else {
            throw DataError(.tooLarge, path: url.path,
                            "the header declares \(shape[0]) images of \(height)x\(width) = \(bytes) bytes, more than the limit of \(byteLimit) bytes")
        }
        return (shape[0], height, width)
    }

    static func readPixels(_ url: URL, count: Int, byteLimit: Int) throws -> [UInt8] {
        let array = try IDX.read(contentsOf: url, byteLimit: byteLimit + 4 + 4 * 3)
        guard case .uint8(let pixels) = array.values, array.shape.first == count else {
            throw DataError(.mismatch, path: url.path, "the file changed while it was read")
        }
        return pixels
    }
}

/// A labelled image dataset with a training and a test split, such as MNIST or Fashion-MNIST.
public struct ImageClassificationData: Equatable, Sendable {
    /// The training split.
    public var train: LabeledImages
    /// The test split.
    public var test: LabeledImages
    /// A name for each class index.
    public var classNames: [String]

    /// Creates a dataset.
    public init(train: LabeledImages, test: LabeledImages, classNames: [String]) {
        self.train = train
        self.test = test
        self.classNames = classNames
    }

    /// Loads a dataset stored as MNIST is: `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
    /// `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte` in `directory`, each plain or with a
    /// `.gz` suffix (the dotted names `train-images.idx3-ubyte` are also accepted).
    /// - Throws: `DataError`; `.io` when a file is missing, `.mismatch` when the splits' image sizes differ.
    public static func loadIDXDirectory(_ directory: URL, classNames: [String]) throws -> ImageClassificationData {
        precondition(!classNames.isEmpty, "classNames must not be empty")
        func find(_ stem: String, _ kind: String) throws -> URL {
            let candidates = ["\(stem)-\(kind)-ubyte", "\(stem)-\(kind.replacingOccurrences(of: "-", with: "."))-ubyte"]
                .flatMap { [$0, $0 + ".gz"] }
            for name in candidates {
                let url = directory.appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: url.path) { return url }
            }
            throw DataError(.io, path: directory.path, "no \(candidates[0]) or \(candidates[0]).gz in this directory")
        }
        let train = try LabeledImages.load(images: find("train", "images-idx3"), labels: find("train", "labels-idx1"),
                                           classCount: classNames.count)
        let testImages = try find("t10k", "images-idx3")
        let test = try LabeledImages.load(images: testImages, labels: find("t10k", "labels-idx1"),
                                          classCount: classNames.count)
        guard train.height == test.height && train.width == test.width else {
            throw DataError(.mismatch, path: testImages.path,
                            "test images are \(test.height)x\(test.width) but training images are \(train.height)x\(train.width)")
        }
        return ImageClassificationData(train: train, test: test, classNames: classNames)
    }
}

/// The MNIST handwritten digits (http://yann.lecun.com/exdb/mnist/), read from a directory.
public enum MNIST {
    /// The class names: the digits "0" to "9".
    public static let classNames = (0..<10).map(String.init)

    /// Loads MNIST from a directory holding its four IDX files (plain or `.gz`).
    /// - Throws: `DataError`.
    public static func load(from directory: URL) throws -> ImageClassificationData {
        try ImageClassificationData.loadIDXDirectory(directory, classNames: classNames)
    }
}

/// Fashion-MNIST (Zalando Research, MIT licence): 28x28 greyscale images of 10 kinds of clothing.
public enum FashionMNIST {
    /// The class names, by label.
    public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    /// The environment variable that names a directory holding Fashion-MNIST.
    public static let environmentVariable = "FEEDFORWARD_FASHION_MNIST"

    /// Where Debian's and Ubuntu's `dataset-fashion-mnist` package installs the data.
    public static let systemDirectory = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")

    /// The directory `load()` reads: `$FEEDFORWARD_FASHION_MNIST` if set, else `systemDirectory`
    /// when it holds the training images; nil when neither is available.
    public static func defaultDirectory() -> URL? {
        if let named = ProcessInfo.processInfo.environment[environmentVariable], !named.isEmpty {
            return URL(fileURLWithPath: named)
        }
        let fm = FileManager.default
        for name in ["train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"]
        where fm.fileExists(atPath: systemDirectory.appendingPathComponent(name).path) {
            return systemDirectory
        }
        return nil
    }

    /// Loads the full Fashion-MNIST (60000 training and 10000 test images) from `directory`,
    /// or, when nil, from `defaultDirectory()`.
    /// - Throws: `DataError`; `.io` when no directory is given and none is found.
    public static func load(from directory: URL? = nil) throws -> ImageClassificationData {
        guard let directory = directory ?? defaultDirectory() else {
            throw DataError(.io, path: systemDirectory.path,
                            "Fashion-MNIST not found: install Debian's dataset-fashion-mnist package, set \(environmentVariable), or pass a directory")
        }
        return try ImageClassificationData.loadIDXDirectory(directory, classNames: classNames)
    }

    /// Loads the subset bundled with the library (no download needed): 8000 training images
    /// (800 per class) and 2000 test images (200 per class) from Fashion-MNIST.
    /// - Throws: `DataError` when the bundled files cannot be found or read.
    public static func loadBundledSubset() throws -> ImageClassificationData {
        try ImageClassificationData.loadIDXDirectory(BundledResources.directory(named: "FashionMNISTSubset"),
                                                     classNames: classNames)
    }
}
