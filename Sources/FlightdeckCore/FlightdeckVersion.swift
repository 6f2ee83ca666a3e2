public enum FlightdeckVersion {
    /// This build's version, shown by `flightdeck version` and sent as the HTTP User-Agent.
    public static let current = "0.1.0"
}
