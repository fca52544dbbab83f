extension Duration {
    /// The duration in seconds, as operators' JSON and Prometheus want it.
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
