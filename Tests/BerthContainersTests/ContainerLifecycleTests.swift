@testable import BerthContainers
import BerthCore
import Testing

/// The lifecycle as a pure value: each event in each phase, and what the restart policy decides.
struct ContainerLifecycleTests {
    private func running(_ time: Int64 = 0) throws -> ContainerLifecycle {
        var lifecycle = ContainerLifecycle()
        #expect(try lifecycle.beginStart(id: "c"))
        lifecycle.started(pid: 42, at: time)
        return lifecycle
    }

    @Test func startRunsOnceAndNotWhilePausedOrRemoved() throws {
        var lifecycle = try running()
        #expect(lifecycle.phase == .running && lifecycle.pid == 42 && lifecycle.status == "running")
        #expect(try lifecycle.beginStart(id: "c") == false, "a second start is a 304")
        try lifecycle.paused()
        #expect(throws: APIError.conflict("cannot start a paused container, try unpause instead")) { try lifecycle.beginStart(id: "c") }
        #expect(throws: APIError.conflict("Container is already paused")) { try lifecycle.paused() }
        try lifecycle.unpaused()
        #expect(throws: APIError.conflict("Container is not paused")) { try lifecycle.unpaused() }
    }

    @Test func aFailedStartRecordsTheCodeAndMessage() throws {
        var lifecycle = ContainerLifecycle()
        _ = try lifecycle.beginStart(id: "c")
        lifecycle.startFailed("exec: \"x\": executable file not found in $PATH", code: 127, at: 5)
        #expect(lifecycle.phase == .exited && lifecycle.exitCode == 127 && lifecycle.error.contains("not found"))
        #expect(try lifecycle.beginStart(id: "c"), "it can be started again")
    }

    @Test func noPolicyStaysExitedAndAutoRemoveRemoves() throws {
        let none = try RestartPolicy(name: "no", maximumRetryCount: 0)
        var lifecycle = try running()
        #expect(lifecycle.exited(code: 1, oomKilled: false, at: 1, policy: none, autoRemove: false) == .stay)
        #expect(lifecycle.phase == .exited && lifecycle.exitCode == 1 && lifecycle.finishedAt == 1)
        var removed = try running()
        #expect(removed.exited(code: 0, oomKilled: false, at: 1, policy: none, autoRemove: true) == .remove)
    }

    @Test func onFailureRestartsUpToItsCountWithADoublingBackoff() throws {
        let policy = try RestartPolicy(name: "on-failure", maximumRetryCount: 2)
        var lifecycle = try running()
        #expect(lifecycle.exited(code: 0, oomKilled: false, at: 1, policy: policy, autoRemove: false) == .stay, "success is not a failure")
        _ = try lifecycle.beginStart(id: "c")
        lifecycle.started(pid: 2, at: 2)
        #expect(lifecycle.exited(code: 1, oomKilled: false, at: 3, policy: policy, autoRemove: false) == .restart(after: .milliseconds(100)))
        #expect(lifecycle.phase == .restarting && lifecycle.restartCount == 1 && lifecycle.status == "restarting")
        _ = try lifecycle.beginStart(id: "c")
        lifecycle.started(pid: 3, at: 4)
        #expect(lifecycle.exited(code: 1, oomKilled: false, at: 5, policy: policy, autoRemove: false) == .restart(after: .milliseconds(200)))
        _ = try lifecycle.beginStart(id: "c")
        lifecycle.started(pid: 4, at: 6)
        #expect(lifecycle.exited(code: 1, oomKilled: false, at: 7, policy: policy, autoRemove: false) == .stay)
        #expect(lifecycle.restartCount == 2)
    }

    @Test func theBackoffResetsAfterTenSecondsUp() throws {
        let policy = try RestartPolicy(name: "always", maximumRetryCount: 0)
        var lifecycle = try running()
        #expect(lifecycle.exited(code: 0, oomKilled: false, at: 1, policy: policy, autoRemove: false) == .restart(after: .milliseconds(100)))
        _ = try lifecycle.beginStart(id: "c")
        lifecycle.started(pid: 2, at: 2)
        #expect(lifecycle.exited(code: 0, oomKilled: false, at: 3, policy: policy, autoRemove: false) == .restart(after: .milliseconds(200)))
        _ = try lifecycle.beginStart(id: "c")
        lifecycle.started(pid: 3, at: 10)
        #expect(lifecycle.exited(code: 0, oomKilled: false, at: 10 + ContainerLifecycle.backoffResetAfter, policy: policy,
                                 autoRemove: false) == .restart(after: .milliseconds(100)))
    }

    @Test func aStopIsNotRestartedAndUnlessStoppedRemembersIt() throws {
        let always = try RestartPolicy(name: "always", maximumRetryCount: 0)
        let unlessStopped = try RestartPolicy(name: "unless-stopped", maximumRetryCount: 0)
        var lifecycle = try running()
        lifecycle.stopRequested(byUser: true)
        #expect(lifecycle.exited(code: 137, oomKilled: false, at: 1, policy: always, autoRemove: false) == .stay)
        #expect(always.startsWithDaemon(stoppedByUser: lifecycle.stoppedByUser))
        #expect(!unlessStopped.startsWithDaemon(stoppedByUser: lifecycle.stoppedByUser))
        var shutdown = try running()
        shutdown.stopRequested(byUser: false)
        #expect(shutdown.exited(code: 137, oomKilled: false, at: 1, policy: unlessStopped, autoRemove: false) == .stay)
        #expect(unlessStopped.startsWithDaemon(stoppedByUser: shutdown.stoppedByUser), "a daemon shutdown is not the user's stop")
    }

    @Test func removalNeedsForceWhileRunning() throws {
        var lifecycle = try running()
        #expect(throws: APIError.self) { try lifecycle.beginRemoval(id: "c", force: false) }
        try lifecycle.beginRemoval(id: "c", force: true)
        #expect(throws: APIError.conflict("removal of container c is already in progress")) { try lifecycle.beginRemoval(id: "c", force: true) }
        #expect(throws: APIError.conflict("container is marked for removal and cannot be started")) { try lifecycle.beginStart(id: "c") }
    }

    @Test func aContainerRunningWhenTheDaemonDiedIsExitedWith137() throws {
        var lifecycle = try running()
        let hadProcess = lifecycle.restored(at: 9)
        #expect(hadProcess)
        #expect(lifecycle.phase == .exited && lifecycle.exitCode == 137 && lifecycle.pid == 0 && lifecycle.finishedAt == 9)
        var created = ContainerLifecycle()
        let createdHadProcess = created.restored(at: 9)
        #expect(!createdHadProcess && created.phase == .created)
    }

    @Test func restartPoliciesAreChecked() {
        #expect(throws: APIError.invalidParameter("invalid restart policy 'sometimes'")) {
            try RestartPolicy(name: "sometimes", maximumRetryCount: 0)
        }
        #expect(throws: APIError.self) { try RestartPolicy(name: "always", maximumRetryCount: 3) }
        #expect(throws: APIError.self) { try RestartPolicy(name: "on-failure", maximumRetryCount: -1) }
    }
}
