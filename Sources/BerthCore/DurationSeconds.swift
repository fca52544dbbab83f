extension Duration {
    /// The duration in seconds, as JSON for operators, Prometheus and log lines want it.
    public var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
