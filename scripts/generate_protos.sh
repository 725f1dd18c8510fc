#!/usr/bin/env bash
# Regenerates the Swift code of Protos/*.proto (run by hand after editing a .proto; the generated
# files are committed, so building needs neither protoc nor the plugin).
# Needs protoc (Debian: apt-get install protobuf-compiler) and protoc-gen-swift built from
# apple/swift-protobuf at the version Package.swift names, for example in a scratch directory:
#   git clone --branch 1.39.0 https://github.com/apple/swift-protobuf /tmp/swift-protobuf
#   (cd /tmp/swift-protobuf && swift build -c release --product protoc-gen-swift)
#   PROTOC_GEN_SWIFT=/tmp/swift-protobuf/.build/release/protoc-gen-swift scripts/generate_protos.sh
set -euo pipefail
cd "$(dirname "$0")/.."
plugin="${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift)}"
protoc --plugin=protoc-gen-swift="$plugin" --proto_path=Protos \
    --swift_opt=Visibility=Internal --swift_opt=FileNaming=DropPath \
    --swift_out=Sources/Feedforward/Logging Protos/tensorboard_event.proto
