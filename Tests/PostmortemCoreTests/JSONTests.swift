import Testing

@testable import PostmortemCore

@Suite("JSON")
struct JSONTests {
    @Test(arguments: [
        (
            #"{"a":[1,2.5,-3e2,true,null],"b":"x\"\\\/\n\u00e9\ud83d\ude00"}"#,
            #"{"a":[1,2.5,-300,true,null],"b":"x\"\\/\né😀"}"#
        ),
        (" [ ] ", "[]"),
        ("[0,-0,0.5,1E3,1e+2,2.5e-1,-12.75,123456789]", "[0,0,0.5,1000,100,0.25,-12.75,123456789]"),
        (#"["plain","with \"escape\"","","ünïcødé"]"#, #"["plain","with \"escape\"","","ünïcødé"]"#),
        (#"{"z":1,"a":{"y":2,"b":3}}"#, #"{"a":{"b":3,"y":2},"z":1}"#),
        // Every control character is escaped (short forms where JSON has them), in runs of text.
        (#"["a\u0001b\u001fc\td\re\"\\f"]"#, #"["a\u0001b\u001fc\td\re\"\\f"]"#),
        (#"{"k\u0000ey":"\n\n","é\"":"\\"}"#, #"{"k\u0000ey":"\n\n","é\"":"\\"}"#),
    ])
    func roundTripsWithSortedKeys(_ input: String, _ expected: String) throws {
        #expect(try JSONParser.parse(Array(input.utf8), maxDepth: 8).serialized == expected)
    }

    @Test(arguments: [
        ("01", "$: invalid JSON at byte 0: invalid number 01"),
        ("1.", "$: invalid JSON at byte 0: invalid number 1."),
        ("-", "$: invalid JSON at byte 0: invalid number -"),
        ("[.5]", "$: invalid JSON at byte 1: invalid number .5"),
        ("[+1]", "$: invalid JSON at byte 1: invalid number +1"),
        ("1e", "$: invalid JSON at byte 0: invalid number 1e"),
        ("1e+", "$: invalid JSON at byte 0: invalid number 1e+"),
        ("1.5.2", "$: invalid JSON at byte 0: invalid number 1.5.2"),
        ("--1", "$: invalid JSON at byte 0: invalid number --1"),
        ("1e999", "$: invalid JSON at byte 0: invalid number 1e999"),
        (#""unterminated"#, "$: invalid JSON at byte 13: unterminated string"),
        (#"{"a":1,}"#, "$: invalid JSON at byte 7: expected a string key"),
        (#"["a" "b"]"#, "$: invalid JSON at byte 5: expected ',' or ']'"),
        (#""\ud83d""#, "$: invalid JSON at byte 7: unpaired surrogate"),
        ("\"a\u{01}\"", "$: invalid JSON at byte 3: control character in string"),
        ("tru", "$: invalid JSON at byte 0: unexpected character"),
        ("{} {}", "$: invalid JSON at byte 3: unexpected trailing characters"),
    ])
    func rejects(_ input: String, _ error: String) {
        #expect(message(input) == error)
    }

    private func message(_ input: String) -> String? {
        do {
            _ = try JSONParser.parse(Array(input.utf8), maxDepth: 8)
            return nil
        } catch {
            return error.description
        }
    }
}
