import BerthCore
import Testing

@Suite struct TextEscapingTests {
    @Test func jsonEscapesAsGoDoes() {
        #expect(JSONText.quoted("plain") == #""plain""#)
        #expect(JSONText.quoted("a\"b\\c\nd\re\tf") == #""a\"b\\c\nd\re\tf""#)
        #expect(JSONText.quoted("<a & b>") == #""\u003ca \u0026 b\u003e""#, "HTML characters, as encoding/json")
        #expect(JSONText.quoted("\u{01}\u{1f}") == #""\u0001\u001f""#)
        #expect(JSONText.quoted("x\u{2028}y\u{2029}") == #""x\u2028y\u2029""#)
        #expect(JSONText.quoted("héllo ✓ €") == "\"héllo ✓ €\"", "other text stays as it is")
    }

    @Test func goQuotingMatchesStrconvQuote() {
        #expect(GoQuoted.quoted("abc") == #""abc""#)
        #expect(GoQuoted.quoted("<a & \"b\">") == #""<a & \"b\">""#, "no HTML escaping, unlike JSON")
        #expect(GoQuoted.quoted("tab\there\nnew\\") == #""tab\there\nnew\\""#)
        #expect(GoQuoted.quoted("\u{01}\u{7f}") == #""\x01\x7f""#)
        #expect(GoQuoted.quoted("é\u{85}") == #""é\u0085""#)
    }
}
