// swift-tools-version: 6.1
import PackageDescription

/// Settings applied to every Swift target, in one place.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .unsafeFlags(["-warnings-as-errors"], .when(configuration: .debug)),
    // Release builds drop the run-time exclusivity checks, which cost a third of the time in the
    // byte loops (class properties touched per field); debug builds and tests keep them.
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
    // Release builds inline and specialise across targets: the per-row path runs from the pipeline
    // through the validator into the hash tables of VolstatCore, three module boundaries.
    .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release)),
]

var targets: [Target] = [
    .systemLibrary(
        name: "CZlib",
        pkgConfig: "zlib",
        providers: [.apt(["zlib1g-dev"])]
    ),
    .systemLibrary(
        name: "CLibXML2",
        pkgConfig: "libxml-2.0",
        providers: [.apt(["libxml2-dev"])]
    ),
    .target(name: "CSystemShims"),
    .target(name: "CHMACSHA256", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
    .target(
        name: "VolstatCore",
        dependencies: ["CSystemShims"],
        resources: [.copy("Resources/regions")]
    ),
    .target(name: "VolstatCompression", dependencies: ["VolstatCore", "CZlib"]),
    .target(
        name: "VolstatIngest",
        dependencies: [
            "VolstatCore", "VolstatCompression", "CLibXML2", "CHMACSHA256", "CSystemShims",
            .product(name: "Crypto", package: "swift-crypto"),
        ]
    ),
    .target(name: "VolstatValidate", dependencies: ["VolstatCore", "VolstatCompression"]),
    .target(name: "VolstatAggregate", dependencies: ["VolstatCore", "CSystemShims"]),
    .target(
        name: "VolstatPublish",
        dependencies: [
            "VolstatCore", "VolstatAggregate", "VolstatCompression", "CSystemShims",
            .product(name: "Crypto", package: "swift-crypto"),
        ]
    ),
    .target(
        name: "VolstatPipeline",
        dependencies: [
            "VolstatCore", "VolstatIngest", "VolstatValidate", "VolstatAggregate", "VolstatPublish",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "GRDB", package: "GRDB.swift"),
        ]
    ),
    .executableTarget(
        name: "volstat",
        dependencies: [
            "VolstatCore", "VolstatIngest", "VolstatValidate", "VolstatPipeline",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]
    ),
    .target(name: "VolstatTestSupport", path: "Tests/VolstatTestSupport"),
    .testTarget(name: "VolstatCoreTests", dependencies: ["VolstatCore"]),
    .testTarget(name: "VolstatCompressionTests", dependencies: ["VolstatCompression"]),
    .testTarget(
        name: "VolstatIngestTests",
        dependencies: [
            "VolstatIngest", "VolstatCompression", "VolstatTestSupport",
            .product(name: "Crypto", package: "swift-crypto"),
        ]
    ),
    .testTarget(name: "VolstatValidateTests", dependencies: ["VolstatValidate"]),
    .testTarget(name: "VolstatAggregateTests", dependencies: ["VolstatAggregate"]),
    .testTarget(name: "VolstatPublishTests", dependencies: ["VolstatPublish", "VolstatCompression"]),
    .testTarget(
        name: "VolstatPipelineTests",
        dependencies: ["VolstatPipeline", "VolstatValidate", "VolstatCompression", "VolstatTestSupport"]
    ),
    .testTarget(
        name: "VolstatCLITests",
        dependencies: ["volstat", "VolstatCompression", "VolstatTestSupport"]
    ),
]

for index in targets.indices where targets[index].type != .system && targets[index].name != "CSystemShims" {
    targets[index].swiftSettings = (targets[index].swiftSettings ?? []) + strictSettings
}

let package = Package(
    name: "volstat",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "volstat", targets: ["volstat"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: targets
)
