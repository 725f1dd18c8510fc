import Foundation

// Saving and loading a model's parameters as a safetensors file. Parameters are stored under their
// visiting names ("0.weight", "1.body.0.bias", …) with their shapes unchanged, so a `Dense` weight is
// `[out, in]` as in PyTorch's `nn.Linear` and a state dict of a matching PyTorch model loads directly.

extension Tensor {
    /// The tensor as a safetensors entry: F32 for `Float`, F64 for `Double`, bit for bit.
    public var safeTensorsEntry: SafeTensorsEntry {
        switch Scalar.dataType {
        case .float32: return SafeTensorsEntry(shape: shape, floats: scalars.map { Float($0) })
        case .float64: return SafeTensorsEntry(shape: shape, doubles: scalars.map { Double($0) })
        }
    }

    /// A tensor from a floating-point safetensors entry (F64, F32, F16 or BF16), converted to
    /// `Scalar`: exact except F64 → `Float`, which rounds. Returns nil for integer and BOOL entries.
    public init?(safeTensorsEntry entry: SafeTensorsEntry) {
        let values: [Scalar]
        switch Scalar.dataType {
        case .float64:
            guard let doubles = entry.doubles() else { return nil }
            values = doubles.map { Scalar($0) }
        case .float32:
            guard let floats = entry.floats() else { return nil }
            values = floats.map { Scalar($0) }
        }
        self.init(shape: entry.shape, scalars: values)
    }
}

extension Layer {
    /// The floating-point tensors of `file` by name, converted to `Scalar` (F32 files load into
    /// `Double` models and F64 files into `Float` models; F16 and BF16 load through `Float`).
    /// - Throws: ``ParameterLoadingError/unsupportedDataType(name:dtype:)`` for an integer or
    ///   BOOL tensor.
    public static func parameterDictionary(from file: SafeTensorsFile) throws(ParameterLoadingError) -> [String: Tensor<Scalar>] {
        var result: [String: Tensor<Scalar>] = [:]
        for (name, entry) in file.tensors {
            guard let tensor = Tensor<Scalar>(safeTensorsEntry: entry) else {
                throw .unsupportedDataType(name: name, dtype: entry.dtype.rawValue)
            }
            result[name] = tensor
        }
        return result
    }

    /// The parameters as a safetensors file's contents, by visiting name, in `Scalar`'s dtype.
    public func safeTensorsFile(metadata: [String: String] = [:]) -> SafeTensorsFile {
        var tensors: [String: SafeTensorsEntry] = [:]
        for (name, value) in parameters { tensors[name] = value.safeTensorsEntry }
        return SafeTensorsFile(tensors: tensors, metadata: metadata.isEmpty ? nil : metadata)
    }

    /// Writes every parameter to a safetensors file at `url`, atomically (a temporary file renamed
    /// into place, so a crash never leaves a partial file).
    /// - Throws: `DataError` of kind `.io`.
    public func saveParameters(to url: URL, metadata: [String: String] = [:]) throws {
        try SafeTensors.write(safeTensorsFile(metadata: metadata), to: url)
    }

    /// Replaces every parameter with the tensor of the same name in the safetensors file at `url`.
    ///
    /// Every parameter must be present with its shape and a floating-point dtype; otherwise nothing
    /// is changed. Tensors in the file that the model does not have are an error unless `strict` is
    /// false (as PyTorch's `load_state_dict`), which ignores them.
    /// - Throws: `DataError` if the file cannot be read or is malformed; ``ParameterLoadingError``
    ///   naming the first parameter that is missing, has another shape or is not floating-point, or
    ///   the tensors the model does not have.
    public mutating func loadParameters(from url: URL, strict: Bool = true) throws {
        let file = try SafeTensors.read(contentsOf: url)
        try loadParameters(from: file, strict: strict)
    }

    /// Replaces every parameter with the tensor of the same name in `file` (see
    /// the URL variant).
    public mutating func loadParameters(from file: SafeTensorsFile, strict: Bool = true) throws(ParameterLoadingError) {
        if strict {
            let known = Set(parameters.map(\.name))
            let unexpected = file.tensors.keys.filter { !known.contains($0) }.sorted()
            guard unexpected.isEmpty else { throw .unexpected(names: unexpected) }
        }
        var values: [String: Tensor<Scalar>] = [:]
        for (name, parameter) in parameters {
            guard let entry = file.tensors[name] else { throw .missing(name: name) }
            guard entry.shape == parameter.shape else {
                throw .shapeMismatch(name: name, expected: parameter.shape, actual: entry.shape)
            }
            guard let tensor = Tensor<Scalar>(safeTensorsEntry: entry) else {
                throw .unsupportedDataType(name: name, dtype: entry.dtype.rawValue)
            }
            values[name] = tensor
        }
        try loadParameters(values)
    }
}
