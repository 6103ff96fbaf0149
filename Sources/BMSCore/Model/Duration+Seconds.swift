extension Duration {
    /// This duration in seconds, as a floating-point number (attosecond resolution is kept to a double's).
    var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
