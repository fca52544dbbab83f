/// Polls `condition` every 10 ms until it holds or `timeout` has passed, and says whether it
/// held. A condition that holds at once costs nothing; the generous default is for machines
/// that are slow for a while (a sanitizer build, two CPUs shared with dockerd), where a tight
/// limit would fail a test that is right.
public func eventually(timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        guard ContinuousClock.now < deadline, !Task.isCancelled else { return false }
        try? await Task.sleep(for: .milliseconds(10))
    }
}
