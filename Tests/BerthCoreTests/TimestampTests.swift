import BerthCore
import Testing

@Suite struct TimestampTests {
    @Test func formatsRFC3339WithNineFractionDigits() {
        #expect(Timestamp.rfc3339(nanoseconds: 1_795_373_153_000_000_042) == "2026-11-22T18:45:53.000000042Z")
        #expect(Timestamp.rfc3339(nanoseconds: 0) == "1970-01-01T00:00:00.000000000Z")
        #expect(Timestamp.rfc3339(nanoseconds: -1) == "1969-12-31T23:59:59.999999999Z", "times before 1970 round down")
        #expect(Timestamp.rfc3339(nanoseconds: 951_782_400_500_000_000) == "2000-02-29T00:00:00.500000000Z")
    }

    @Test func formatsIMFFixdate() {
        #expect(Timestamp.imfFixdate(epochSeconds: 1_795_373_153) == "Sun, 22 Nov 2026 18:45:53 GMT")
        #expect(Timestamp.imfFixdate(epochSeconds: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(Timestamp.imfFixdate(epochSeconds: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT", "RFC 9110's example")
    }

    @Test func civilDatesRoundTrip() {
        for days in stride(from: -800_000, through: 800_000, by: 997) {
            let date = Timestamp.civilDate(daysSinceEpoch: days)
            #expect(Timestamp.daysSinceEpoch(year: date.year, month: date.month, day: date.day) == days)
        }
        #expect(Timestamp.daysSinceEpoch(year: 2026, month: 11, day: 22) == 20_779)
    }
}
