// swift-tools-version: 6.2
import PackageDescription

/// Flightdeck's layers, from the bottom up:
/// - C system libraries (ncursesw, libcurl, OpenSSL 3, libpq), each behind a shim;
/// - FlightdeckCore: the plan model, check evaluation, the cockpit state, its rows and its
///   reducer; pure Swift, no I/O (it parses text it is given);
/// - FlightdeckProbes: DNS, HTTP, TLS and alarm probes that turn plan items into results;
/// - FlightdeckStore: the plan file, and the shared, append-only launch state (SQLite or PostgreSQL);
/// - FlightdeckView: themes, and the views that render state into a cell grid or log lines;
/// - FlightdeckTerminal: the only code that talks to ncurses;
/// - FlightdeckDemo: a simulated launch on loopback for `flightdeck demo`, tests and benchmarks;
/// - flightdeck: the command line on top;
/// - FlightdeckFuzzing and flightdeck-fuzz: the readers of outside bytes as fuzz targets.
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

let package = Package(
    name: "Flightdeck",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "flightdeck", targets: ["flightdeck"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        .systemLibrary(name: "CNcurses", path: "Sources/CNcurses"),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CGlibc", path: "Sources/CGlibc"),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CPostgres", path: "Sources/CPostgres", pkgConfig: "libpq",
                       providers: [.apt(["libpq-dev"])]),

        .target(name: "FlightdeckCore",
                dependencies: [.product(name: "Yams", package: "Yams")],
                swiftSettings: strict),
        .target(name: "FlightdeckProbes",
                dependencies: ["FlightdeckCore", "CCurl", "COpenSSL", "CGlibc"],
                swiftSettings: strict),
        .target(name: "FlightdeckStore",
                dependencies: ["FlightdeckCore", "COpenSSL", "CPostgres", .product(name: "GRDB", package: "GRDB.swift")],
                swiftSettings: strict),
        .target(name: "FlightdeckView",
                dependencies: ["FlightdeckCore"],
                swiftSettings: strict),
        .target(name: "FlightdeckTerminal",
                dependencies: ["FlightdeckView", "CNcurses"],
                swiftSettings: strict),
        // The built-in demo launch: simulated servers on loopback, kept apart from the product.
        .target(name: "FlightdeckDemo",
                dependencies: ["FlightdeckCore", "FlightdeckStore", "COpenSSL"],
                swiftSettings: strict),
        .executableTarget(name: "flightdeck",
                          dependencies: [
                              "FlightdeckCore", "FlightdeckProbes", "FlightdeckStore",
                              "FlightdeckView", "FlightdeckTerminal", "FlightdeckDemo", "CGlibc",
                              .product(name: "ArgumentParser", package: "swift-argument-parser"),
                          ],
                          swiftSettings: strict),

        // Every reader of outside bytes as a fuzz target: libFuzzer drives them (`make fuzz`),
        // the tests replay their corpus.
        .target(name: "FlightdeckFuzzing",
                dependencies: ["FlightdeckCore", "FlightdeckView"],
                swiftSettings: strict),
        .executableTarget(name: "flightdeck-fuzz",
                          dependencies: ["FlightdeckFuzzing"],
                          swiftSettings: strict),

        .executableTarget(name: "flightdeck-bench",
                          dependencies: ["FlightdeckCore", "FlightdeckProbes", "FlightdeckStore", "FlightdeckView"],
                          path: "Benchmarks/FlightdeckBench",
                          swiftSettings: strict),

        .testTarget(name: "FlightdeckCoreTests",
                    dependencies: ["FlightdeckCore", "FlightdeckFuzzing", .product(name: "PropertyBased", package: "swift-property-based")],
                    swiftSettings: strict),
        .target(name: "FlightdeckTestSupport",
                dependencies: ["COpenSSL", "CGlibc"],
                path: "Tests/FlightdeckTestSupport",
                swiftSettings: strict),
        .testTarget(name: "FlightdeckProbesTests",
                    dependencies: ["FlightdeckProbes", "FlightdeckTestSupport"],
                    swiftSettings: strict),
        .executableTarget(name: "flightdeck-journal-writer",
                          dependencies: ["FlightdeckCore", "FlightdeckStore"],
                          path: "Tests/JournalWriter",
                          swiftSettings: strict),
        .testTarget(name: "FlightdeckStoreTests",
                    dependencies: ["FlightdeckStore", "FlightdeckTestSupport", "flightdeck-journal-writer",
                                   .product(name: "GRDB", package: "GRDB.swift")],
                    exclude: ["Fixtures"],
                    swiftSettings: strict),
        .testTarget(name: "FlightdeckViewTests",
                    dependencies: ["FlightdeckView", "FlightdeckStore", "FlightdeckTestSupport"],
                    exclude: ["Snapshots"],
                    swiftSettings: strict),
        .testTarget(name: "FlightdeckDemoTests",
                    dependencies: ["FlightdeckDemo"],
                    swiftSettings: strict),
        .testTarget(name: "FlightdeckCLITests",
                    dependencies: ["flightdeck", "FlightdeckStore", "FlightdeckTestSupport"],
                    swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
