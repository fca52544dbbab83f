import BerthAPI
import Testing

@Suite struct APITimestampTests {
    let now: Int64 = 1_795_374_251_000_000_000

    @Test func parsesUnixSecondsWithFractions() throws {
        #expect(try APITimestamp.parse("1795374251", now: now) == 1_795_374_251_000_000_000)
        #expect(try APITimestamp.parse("1795374251.5", now: now) == 1_795_374_251_500_000_000)
        #expect(try APITimestamp.parse("0", now: now) == 0)
    }

    @Test func parsesDurationsBeforeNow() throws {
        #expect(try APITimestamp.parse("10m", now: now) == now - 600_000_000_000)
        #expect(try APITimestamp.parse("1h30m", now: now) == now - 5_400_000_000_000)
        #expect(try APITimestamp.parse("1.5s", now: now) == now - 1_500_000_000)
        #expect(try APITimestamp.parse("0s", now: now) == now)
    }

    @Test func parsesRFC3339() throws {
        #expect(try APITimestamp.parse("2026-11-22T18:47:21Z", now: now) == 1_795_373_241_000_000_000)
        #expect(try APITimestamp.parse("2026-11-22T18:47:21.454375423Z", now: now) == 1_795_373_241_454_375_423)
        #expect(try APITimestamp.parse("2026-11-22T19:47:21+01:00", now: now) == 1_795_373_241_000_000_000)
        #expect(try APITimestamp.parse("2026-11-22", now: now) == 1_795_305_600_000_000_000)
    }

    @Test func refusesValuesOutOfRangeInsteadOfCrashing() {
        // Found by the mutation test: these used to trap on overflow.
        for bad in ["99999999999999999", "9223372036854775807", "99999999999999999999h", "1e300s", "2562047h"] {
            #expect(throws: (any Error).self, "\(bad)") { try APITimestamp.parse(bad, now: now) }
        }
    }

    @Test func refusesGarbage() {
        for bad in ["", "yesterday", "2026-13-01", "12abc", "1.2.3"] {
            #expect(throws: (any Error).self, "\(bad)") { try APITimestamp.parse(bad, now: now) }
        }
    }
}
