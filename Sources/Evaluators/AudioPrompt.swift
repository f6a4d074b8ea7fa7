/// The sound vocabulary of Diffuse's default audio model (`Models/recipes/data_audio.py` and
/// `data_audio_mel.py`: `INSTRUMENTS`, `DRUMS`, the speech templates and the procedural effects'
/// captions, `REGISTERS`, the loudness words).
public enum SoundVocabulary {
    /// `data_audio_mel.FAMILIES`.
    public static let families = ["piano", "strings", "brass", "woodwind", "guitar", "organ", "bass", "drums",
                                  "speech", "effect"]

    /// eval_audio.py's `COARSE`: "speech" and "effect" are their own class, every other family
    /// (drums included) is an "instrument".
    public static func coarse(_ family: String) -> String {
        family == "speech" || family == "effect" ? family : "instrument"
    }

    /// Phrases → family, the first phrase found wins: effects named after a drum first ("a
    /// drum-like hit", "a synthetic drum hit"), then several-word instrument and drum names
    /// ("bass drum" before "bass", "bass guitar" before "guitar"), then one-word names, speech
    /// words, and effect words last ("a single cello tone" is a cello).
    static let familyPhrases: [(String, String)] = [
        ("drum like", "effect"), ("synthetic drum", "effect"),
        ("bass drum", "drums"), ("kick drum", "drums"), ("snare drum", "drums"), ("tom drum", "drums"),
        ("hi hat", "drums"), ("crash cymbal", "drums"), ("drum roll", "drums"), ("drum beat", "drums"),
        ("grand piano", "piano"), ("electric piano", "piano"), ("string section", "strings"),
        ("french horn", "brass"), ("acoustic guitar", "guitar"), ("electric guitar", "guitar"),
        ("bass guitar", "bass"), ("church organ", "organ"), ("electric organ", "organ"),
        ("double bass", "bass"), ("upright bass", "bass"),
        ("drum", "drums"), ("drums", "drums"), ("snare", "drums"), ("hihat", "drums"), ("cymbal", "drums"),
        ("toms", "drums"), ("kick", "drums"),
        ("piano", "piano"), ("violin", "strings"), ("cello", "strings"), ("strings", "strings"),
        ("trumpet", "brass"), ("trombone", "brass"), ("horn", "brass"), ("tuba", "brass"),
        ("flute", "woodwind"), ("clarinet", "woodwind"), ("oboe", "woodwind"), ("saxophone", "woodwind"),
        ("sax", "woodwind"), ("guitar", "guitar"), ("organ", "organ"), ("bass", "bass"),
        ("saying", "speech"), ("says", "speech"), ("say", "speech"), ("spoken", "speech"), ("speaking", "speech"),
        ("speaks", "speech"), ("talking", "speech"), ("voice", "speech"), ("voices", "speech"),
        ("speaker", "speech"), ("speech", "speech"), ("counting", "speech"), ("whispering", "speech"),
        ("siren", "effect"), ("sirens", "effect"), ("sweep", "effect"), ("sweeping", "effect"), ("glide", "effect"),
        ("gliding", "effect"), ("tone", "effect"), ("beep", "effect"), ("beeps", "effect"), ("noise", "effect"),
        ("static", "effect"), ("thud", "effect"), ("thump", "effect"), ("knock", "effect"), ("hit", "effect"),
        ("rain", "effect"), ("raining", "effect"),
    ]
    /// Words that name an instrument sound without naming the instrument: only the coarse class
    /// ("instrument") is judged.
    static let instrumentWords: Set<String> = ["note", "notes", "melody", "chord", "tune", "scale", "instrument"]
    /// `data_audio.REG_WORDS`.
    static let registerWords: [(String, String)] = [("low", "low"), ("middle", "middle"), ("medium", "middle"),
                                                     ("high", "high")]
    /// `data_audio.LOUD_WORDS`.
    static let loudnessWords: [(String, String)] = [("soft", "soft"), ("quiet", "soft"), ("softly", "soft"),
                                                    ("quietly", "soft"), ("loud", "loud"), ("loudly", "loud")]
}

/// What an audio prompt asks for: the sound family (fine, e.g. "strings", and coarse:
/// instrument / speech / effect), the pitch register of an instrument note and the loudness. A
/// word outside the vocabulary leaves its attribute nil (not judged).
public struct AudioPromptAttributes: Sendable, Equatable {
    /// One of `SoundVocabulary.families`.
    public var family: String?
    /// "instrument", "speech" or "effect".
    public var coarseFamily: String?
    /// "low", "middle" or "high"; only for a pitched instrument (not drums, speech or effects:
    /// eval_audio.py's register judge is calibrated on instrument notes, and a "low thud" or a
    /// "high beep" uses the words in another sense).
    public var register: String?
    /// "soft" or "loud".
    public var loudness: String?

    /// Reads `prompt`.
    public init(prompt: String) {
        let words = PromptWords(prompt)
        family = words.firstMatch(SoundVocabulary.familyPhrases)
        if let family {
            coarseFamily = SoundVocabulary.coarse(family)
        } else if words.words.contains(where: { SoundVocabulary.instrumentWords.contains($0) }) {
            coarseFamily = "instrument"
        }
        if coarseFamily == "instrument", family != "drums" {
            register = words.firstMatch(SoundVocabulary.registerWords)
        }
        loudness = words.firstMatch(SoundVocabulary.loudnessWords)
    }
}
