import Foundation

/// The one rule by which the text readers turn a field into a number.
///
/// A field is a number when, with spaces and tabs (`CharacterSet.whitespaces`) trimmed from both
/// ends, Swift's `Float(_:)` reads it as a finite value: decimals with an optional exponent, and
/// the forms `strtof` accepts such as hexadecimal. The result is correctly rounded.
///
/// Short decimals (at most 19 significant digits and a power of ten within 10^±22, nearly every
/// number a program writes) take a fast path: the digits are an exact `Double` integer, one
/// multiplication or division by an exact power of ten rounds once, and the conversion to `Float`
/// is then correct unless that `Double` lies exactly halfway between two `Float`s, where the slow
/// path decides. Everything else goes through `Float(_:)` on the trimmed text.
enum NumberParsing {
    /// The finite number `count` bytes spell, or nil.
    @inline(__always)
    static func float(_ bytes: UnsafePointer<UInt8>, count: Int) -> Float? {
        if let value = shortDecimal(bytes, count: count) { return value }
        return generalFloat(String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self))
    }

    /// The finite number `text` spells, by the rule above, or nil.
    static func float(_ text: String) -> Float? {
        var copy = text
        return copy.withUTF8 { float($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, count: $0.count) }
    }

    /// The slow path: `Float(_:)` on the trimmed text.
    static func generalFloat(_ text: String) -> Float? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        // Float(_:) parses through C, which stops at a NUL byte: "2\0junk" would read as 2.
        guard !trimmed.utf8.contains(0), let value = Float(trimmed), value.isFinite else { return nil }
        return value
    }

    /// 10^exponent for exponent in 0...22, each exact in a `Double` (a switch: no array to retain in the hot loop).
    @inline(__always)
    static func exactPowerOfTen(_ exponent: Int) -> Double {
        switch exponent {
        case 0: return 1e0
        case 1: return 1e1
        case 2: return 1e2
        case 3: return 1e3
        case 4: return 1e4
        case 5: return 1e5
        case 6: return 1e6
        case 7: return 1e7
        case 8: return 1e8
        case 9: return 1e9
        case 10: return 1e10
        case 11: return 1e11
        case 12: return 1e12
        case 13: return 1e13
        case 14: return 1e14
        case 15: return 1e15
        case 16: return 1e16
        case 17: return 1e17
        case 18: return 1e18
        case 19: return 1e19
        case 20: return 1e20
        case 21: return 1e21
        default: return 1e22
        }
    }

    /// The fast path for `[+-]?digits[.digits][(e|E)[+-]?digits]` with ASCII spaces or tabs around,
    /// or nil when the text has another form or the result needs the slow path.
    @inline(__always)
    static func shortDecimal(_ bytes: UnsafePointer<UInt8>, count: Int) -> Float? {
        let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), zero = UInt8(ascii: "0")
        var i = 0, end = count
        while i < end && (bytes[i] == space || bytes[i] == tab) { i += 1 }
        while end > i && (bytes[end - 1] == space || bytes[end - 1] == tab) { end -= 1 }
        guard i < end else { return nil }
        var negative = false
        if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        var mantissa: UInt64 = 0
        var significantDigits = 0
        var exponent = 0
        var integerDigits = 0
        while i < end, case let digit = bytes[i] &- zero, digit < 10 {
            if mantissa != 0 || digit != 0 { significantDigits += 1 }
            mantissa = mantissa &* 10 &+ UInt64(digit)
            integerDigits += 1
            i += 1
        }
        guard integerDigits > 0 else { return nil }
        if i < end && bytes[i] == UInt8(ascii: ".") {
            i += 1
            var fractionDigits = 0
            while i < end, case let digit = bytes[i] &- zero, digit < 10 {
                if mantissa != 0 || digit != 0 { significantDigits += 1 }
                mantissa = mantissa &* 10 &+ UInt64(digit)
                fractionDigits += 1
                i += 1
            }
            guard fractionDigits > 0 else { return nil }
            exponent = -fractionDigits
        }
        guard significantDigits <= 19 else { return nil }
        if i < end && (bytes[i] | 0x20) == UInt8(ascii: "e") {
            i += 1
            var exponentNegative = false
            if i < end && (bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")) {
                exponentNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            var written = 0, digits = 0
            while i < end, case let digit = bytes[i] &- zero, digit < 10 {
                if written < 1000 { written = written * 10 + Int(digit) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            exponent += exponentNegative ? -written : written
        }
        guard i == end, mantissa <= 1 << 53, exponent >= -22, exponent <= 22 else { return nil }
        var value = Double(mantissa)
        if exponent < 0 { value /= exactPowerOfTen(-exponent) } else { value *= exactPowerOfTen(exponent) }
        // Halfway between two Floats: the low 29 of the 52 stored bits are 1 followed by zeros.
        guard value.bitPattern & 0x1FFF_FFFF != 0x1000_0000 else { return nil }
        let result = Float(value)
        return negative ? -result : result
    }
}
