//! The language of a mention's text, for mentions the export does not tag: German function
//! words first, then whichlang's linear model over character n-grams for what they leave
//! open, and whatlang's trigram profiles for texts with Polish letters (whichlang knows no
//! Polish).
//!
//! Chosen by measurement (BENCHMARKS.md, "Language detection"): on short social texts
//! whatlang agreed with the corpus language on 94.8 % of texts at ~33 µs a text, but called
//! 4.2 % of German texts something else (`… geplant für das dritte Quartal` French);
//! lingua agreed on 98.8 % but took ~600 µs a text and ~60 MB of models in the binary.
//! Function words fix most German misses and spare most German texts any model: a text
//! whose German function words clearly lead (two or more and more than twice any other
//! language's, or one and none of another) is German at once, and so is one whose German
//! function words (two or more) still outnumber every other language's. Reading stops at
//! the [`EARLY_GERMAN`]th German function word when none of another language came before
//! it. Behind the function words whichlang agreed more often than whatlang had (0.983 vs
//! 0.970 of all texts, English 0.897 → 0.972, Spanish 0.852 → 0.982) in a fifth of the time
//! (0.9 vs 4.7 µs a text).

use std::collections::HashMap;

use foldhash::fast::FixedState;
use whatlang::{Detector, Lang};

/// Texts with fewer letters than this are `und` (undetermined): on 5–9 letters the
/// detector was right about half the time.
pub const MIN_LETTERS: usize = 10;

/// A text's language is told from its first this many words (links, handles and hashtags
/// not counted): enough for any post, and a long article costs no more than a tweet.
pub const WORDS_READ: usize = 32;

/// German function words that, found before any of another language, end the reading of a
/// text: it is German (long German articles were read to their 32nd word for nothing;
/// realistic texts 1.3 → 1.0 µs a text, one of 17,093 texts of the language file decided
/// otherwise: `JA JA JA JA JA` before a Spanish insult).
pub const EARLY_GERMAN: usize = 3;

/// The code of an undetermined language (ISO 639-2 `und`).
pub const UNDETERMINED: &str = "und";

/// The languages whatlang chooses from for texts with Polish letters, with their ISO 639-1
/// codes.
pub const LANGUAGES: [(Lang, &str); 12] = [
    (Lang::Deu, "de"),
    (Lang::Eng, "en"),
    (Lang::Fra, "fr"),
    (Lang::Ita, "it"),
    (Lang::Spa, "es"),
    (Lang::Por, "pt"),
    (Lang::Nld, "nl"),
    (Lang::Pol, "pl"),
    (Lang::Tur, "tr"),
    (Lang::Rus, "ru"),
    (Lang::Ara, "ar"),
    (Lang::Hin, "hi"),
];

/// The languages whichlang tells apart, with their ISO 639-1 codes.
pub const WHICHLANG_LANGUAGES: [(whichlang::Lang, &str); 16] = {
    use whichlang::Lang as W;
    [
        (W::Deu, "de"),
        (W::Eng, "en"),
        (W::Fra, "fr"),
        (W::Ita, "it"),
        (W::Spa, "es"),
        (W::Por, "pt"),
        (W::Nld, "nl"),
        (W::Tur, "tr"),
        (W::Rus, "ru"),
        (W::Ara, "ar"),
        (W::Hin, "hi"),
        (W::Swe, "sv"),
        (W::Vie, "vi"),
        (W::Cmn, "zh"),
        (W::Jpn, "ja"),
        (W::Kor, "ko"),
    ]
};

/// The ISO 639-1 code of a detector's language in its table ([`LANGUAGES`],
/// [`WHICHLANG_LANGUAGES`]); [`UNDETERMINED`] for one the table lacks.
pub fn code_of<L: PartialEq>(table: &[(L, &'static str)], lang: L) -> &'static str {
    table.iter().find(|(l, _)| *l == lang).map_or(UNDETERMINED, |(_, code)| code)
}

/// Detects the language of texts.
#[derive(Debug, Clone)]
pub struct LanguageDetector {
    detector: Detector,
    /// Function word → (German, bit k set for the language `OTHER_WORDS[k]`).
    words: HashMap<&'static str, (bool, u8), FixedState>,
}

impl Default for LanguageDetector {
    fn default() -> Self {
        let mut words: HashMap<&'static str, (bool, u8), FixedState> = GERMAN_WORDS.iter().map(|w| (*w, (true, 0))).collect();
        for (k, list) in OTHER_WORDS.iter().enumerate() {
            // A word German uses as much is no evidence against German.
            for w in list.iter().filter(|w| !GERMAN_WORDS.contains(w) && !SHARED_WITH_GERMAN.contains(w)) {
                words.entry(w).or_insert((false, 0)).1 |= 1 << k;
            }
        }
        LanguageDetector { detector: Detector::with_allowlist(LANGUAGES.iter().map(|(l, _)| *l).collect()), words }
    }
}

impl LanguageDetector {
    /// The ISO 639-1 code of the text's language, or [`UNDETERMINED`] for a text with fewer
    /// than [`MIN_LETTERS`] letters (links, handles and hashtags not counted) or none found.
    pub fn detect(&self, text: &str) -> &'static str {
        let found = self.function_words(text);
        if found.letters < MIN_LETTERS {
            UNDETERMINED
        } else {
            self.decide(text, &found)
        }
    }

    /// The language of a text with enough letters, from its function words and, where
    /// they do not settle it, whichlang (whatlang for text with Polish letters).
    fn decide(&self, text: &str, found: &FunctionWords) -> &'static str {
        let FunctionWords { german, english, rest, read, umlaut_not_turkish, polish, .. } = *found;
        let other = english.max(rest);
        // Without any function word, umlauts are German's (among the detector's languages
        // only Turkish writes `ö` and `ü`, and it has letters of its own): `Verspätung
        // aufgrund Stellwerksstörung`, headlines and station names.
        if (german >= 2 && german > 2 * other) || (german >= 1 && other == 0) || (german == 0 && other == 0 && umlaut_not_turkish) {
            return "de";
        }
        if (english >= 3 && english > 2 * german.max(rest)) || (english >= 2 && german == 0 && rest == 0) {
            return "en";
        }
        // German function words that still lead overrule the models (below): they need not
        // be asked (a sixth of the untagged realistic texts that reached whatlang).
        if german >= 2 && german > other {
            return "de";
        }
        // The models read the words only: links and handles are no language.
        let words_only = words(&text[..read]).collect::<Vec<_>>().join(" ");
        if polish {
            self.detector.detect_lang(&words_only).map_or(UNDETERMINED, |l| code_of(&LANGUAGES, l))
        } else {
            code_of(&WHICHLANG_LANGUAGES, whichlang::detect_language(&words_only))
        }
    }

    /// The function words of each language among the text's first [`WORDS_READ`]
    /// [`words`], their letters, and where they end.
    fn function_words(&self, text: &str) -> FunctionWords {
        let (mut german, mut other, mut letters, mut read) = (0, [0usize; OTHER_WORDS.len()], 0, 0);
        let (mut umlauts, mut turkish, mut polish) = (false, false, false);
        let mut lower = String::new();
        let first = words(text).take(WORDS_READ).inspect(|w| read = w.as_ptr() as usize - text.as_ptr() as usize + w.len());
        for w in first.flat_map(|w| w.split(|c: char| !c.is_alphabetic())).filter(|w| !w.is_empty()) {
            if w.is_ascii() {
                letters += w.len();
                if w.len() > 9 {
                    continue;
                }
                lower.clear();
                lower.push_str(w);
                lower.make_ascii_lowercase();
            } else {
                for c in w.chars() {
                    letters += 1;
                    umlauts |= matches!(c, 'ä' | 'ö' | 'ü' | 'ß' | 'Ä' | 'Ö' | 'Ü');
                    turkish |= matches!(c, 'ş' | 'ç' | 'ğ' | 'ı' | 'Ş' | 'Ç' | 'Ğ' | 'İ');
                    polish |= matches!(c, 'ą' | 'ę' | 'ł' | 'ń' | 'ś' | 'ź' | 'ż' | 'ć' | 'Ą' | 'Ę' | 'Ł' | 'Ń' | 'Ś' | 'Ź' | 'Ż' | 'Ć');
                }
                if w.len() > 9 {
                    continue;
                }
                lower.clear();
                lower.extend(w.chars().flat_map(char::to_lowercase));
            }
            let Some(&(is_german, langs)) = self.words.get(lower.as_str()) else { continue };
            german += usize::from(is_german);
            for (k, n) in other.iter_mut().enumerate() {
                *n += usize::from(langs & (1 << k) != 0);
            }
            if german >= EARLY_GERMAN && letters >= MIN_LETTERS && other.iter().all(|&n| n == 0) {
                break;
            }
        }
        let english = other[ENGLISH];
        let rest = other.iter().enumerate().filter(|(k, _)| *k != ENGLISH).map(|(_, n)| *n).max().unwrap_or(0);
        FunctionWords { german, english, rest, letters, read, umlaut_not_turkish: umlauts && !turkish, polish }
    }
}

/// Function words found in a text, and its letters.
#[derive(Debug, Clone, Copy)]
struct FunctionWords {
    german: usize,
    english: usize,
    /// The most any language of [`OTHER_WORDS`] but English has.
    rest: usize,
    /// Letters in the words read (links, @handles and #hashtags not counted).
    letters: usize,
    /// The bytes of the text up to the end of the last word read.
    read: usize,
    /// Whether the words read have `ä`, `ö`, `ü` or `ß` and none of Turkish's `ş ç ğ ı`.
    umlaut_not_turkish: bool,
    /// Whether the words read have one of Polish's `ą ę ł ń ś ź ż ć`.
    polish: bool,
}

/// Very frequent German words, lower case.
const GERMAN_WORDS: &[&str] = &[
    "der", "die", "das", "und", "ist", "nicht", "ich", "mit", "für", "auf", "ein", "eine", "zu", "von", "den", "dem", "sich", "es", "auch", "wir", "bei",
    "noch", "wie", "aber", "sind", "hat", "haben", "wird", "schon", "mal", "nur", "oder", "mir", "mich", "kein", "keine", "dass", "heute", "gerade", "immer",
    "sehr", "jetzt", "wieder", "euch", "uns", "im", "zum", "zur", "vom", "beim", "nach", "über", "unser", "unsere", "ohne", "seit", "mehr", "doch", "dann",
    "hier", "nichts", "danke", "wer", "warum", "weil", "wenn", "durch", "gegen", "diese", "dieser", "dieses", "einen", "einem", "einer", "ihr", "ihre", "sein",
    "seine", "werden", "wurde", "kann", "können", "muss", "gibt", "geht", "alle", "viele", "als", "aus", "bis", "bin", "bist", "denn", "dort", "er", "etwas",
    "hab", "habe", "hatte", "ihm", "ihn", "ihnen", "ins", "ja", "jede", "jeder", "mein", "meine", "nun", "ob", "sie", "soll", "unter", "vor", "waren",
    "welche", "werde", "wo", "damit", "deshalb", "dessen", "dies", "dein", "deine", "euer", "eure",
];

/// Words of [`OTHER_WORDS`] that are frequent German words too (`du`, `des`, `will`, `um`
/// and `eu` were most of the other languages' evidence in German texts whatlang then had
/// to decide).
const SHARED_WITH_GERMAN: &[&str] = &["in", "so", "da", "ne", "es", "am", "was", "man", "die", "du", "des", "will", "um", "eu"];

/// The index of English in [`OTHER_WORDS`].
const ENGLISH: usize = 0;

/// Very frequent words of the other languages German is most often mistaken for; English
/// first ([`ENGLISH`]).
const OTHER_WORDS: [&[&str]; 7] = [
    &[
        "the", "and", "is", "to", "of", "in", "for", "you", "it", "with", "on", "that", "this", "my", "are", "be", "have", "was", "not", "just", "at", "so",
        "but", "me", "your", "what", "all", "can", "from", "they", "we", "will", "i",
    ],
    &[
        "le", "la", "les", "et", "est", "un", "une", "des", "du", "pour", "pas", "que", "qui", "dans", "je", "tu", "il", "sur", "avec", "ce", "mais", "au",
        "vous", "nous", "sont", "très", "merci", "de", "à", "en", "ne", "on", "a",
    ],
    &[
        "il", "di", "che", "è", "la", "le", "per", "non", "un", "una", "sono", "del", "della", "con", "ma", "mi", "ti", "gli", "anche", "questo", "lo", "ho",
        "si", "più", "grazie", "e", "a", "io", "da", "in",
    ],
    &[
        "el", "la", "que", "de", "en", "los", "las", "por", "con", "para", "una", "es", "no", "se", "lo", "mi", "pero", "del", "al", "muy", "más", "sí",
        "gracias", "está", "y", "a", "un",
    ],
    &[
        "o", "a", "que", "de", "não", "um", "uma", "para", "com", "os", "as", "é", "eu", "do", "da", "em", "mais", "mas", "muito", "se", "você", "obrigado",
        "e", "no", "na",
    ],
    &["de", "het", "een", "en", "van", "ik", "is", "niet", "dat", "op", "te", "je", "met", "voor", "zijn", "maar", "ook", "wat", "bij", "nog"],
    &["ve", "bir", "bu", "da", "de", "çok", "için", "ne", "ile", "ama", "gibi", "daha", "ben", "sen"],
];

/// The words of a text that are not links (URLs, `www.…`, bare domains like `bahn.de` or
/// `t.co/…`), @handles or #hashtags.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace().filter(|w| !(w.starts_with('@') || w.starts_with('#') || w.starts_with("http") || w.starts_with("www.") || is_domain(w)))
}

/// Whether a word is a bare domain, with or without a path: a name, a dot and a top-level
/// domain of 2–3 lower-case letters (`bahn.de`, `t.co/xyz`, `shop.example.com.`), not an
/// abbreviation (`z.B.`, `u.a.`) or two sentences without a space (`Ende.Das`).
fn is_domain(word: &str) -> bool {
    // Bytes, not `str` searches: this runs on every word of every untagged mention.
    let b = word.as_bytes();
    // Most words have no dot, or only a closing one.
    if !b.iter().rev().skip_while(|c| c.is_ascii_punctuation()).any(|&c| c == b'.') {
        return false;
    }
    let mut end = b.iter().position(|&c| c == b'/').unwrap_or(b.len());
    while end > 0 && b[end - 1].is_ascii_punctuation() {
        end -= 1;
    }
    let host = &b[..end];
    host.iter().rposition(|&c| c == b'.').is_some_and(|dot| dot > 0 && (3..=4).contains(&(end - dot)) && host[dot + 1..].iter().all(u8::is_ascii_lowercase))
}

/// Whether a text has a word with a letter (not only emoji, emoticons, numbers, links,
/// @handles, #hashtags); stops at the first.
pub fn has_words(text: &str) -> bool {
    words(text).any(|w| w.chars().any(char::is_alphabetic))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_short_social_texts() {
        let d = LanguageDetector::default();
        assert_eq!(d.detect("Der Kundenservice hat mir heute wirklich schnell geholfen, danke!"), "de");
        assert_eq!(d.detect("The customer service was really quick today, thanks a lot!"), "en");
        assert_eq!(d.detect("Le service client a été très rapide aujourd'hui, merci beaucoup"), "fr");
        assert_eq!(d.detect("Il servizio clienti è stato davvero veloce oggi, grazie mille"), "it");
        // whatlang alone calls these French.
        assert_eq!(d.detect("Auerhahn Maschinenbau baut in Chemnitz ein neues Logistikzentrum, Fertigstellung geplant für das dritte Quartal."), "de");
        assert_eq!(d.detect("Shoutout an den Service von Auerhahn Maschinenbau: schnelle Ersatzteile, kompetente Leute, danke Lea!"), "de");
        assert_eq!(d.detect("Impressive machine, the AX-500 from @auerhahn_mb. Solid German engineering #maschinenbau"), "en");
    }

    #[test]
    fn links_are_no_evidence() {
        let d = LanguageDetector::default();
        // `de`, `co` and `com` of links counted as Spanish, Portuguese and Dutch words.
        assert_eq!(d.function_words("Infos unter bahn.de/service und t.co/abc oder https://www.example.com/de/la").german, 3);
        assert_eq!(d.function_words("Infos unter bahn.de/service und t.co/abc oder https://www.example.com/de/la").rest, 0);
        assert!(is_domain("bahn.de") && is_domain("t.co/xyz") && is_domain("shop.example.com.") && is_domain("amazon.de/dp/B0"));
        assert!(!is_domain("z.B.") && !is_domain("u.a.") && !is_domain("Ende.Das") && !is_domain("3.50") && !is_domain("St.Gallen"));
        assert_eq!(d.function_words("Mehr auf bahn.de").letters, 7);
    }

    #[test]
    fn words_german_shares_are_no_evidence_against_german() {
        let d = LanguageDetector::default();
        // `um` (Portuguese), `des`, `du` (French), `will` (English) are German words too.
        let w = d.function_words("Hast du um 10 Uhr angerufen? Ich will eine Antwort des Service");
        assert_eq!((w.german, w.english, w.rest), (2, 0, 0));
        assert_eq!(d.detect("Nachhaltigkeitsbericht von Auerhahn erschienen: Energieverbrauch um 15 % gesenkt"), "de");
    }

    #[test]
    fn clear_english_needs_no_trigrams() {
        let d = LanguageDetector::default();
        let w = d.function_words("This is the best service I have ever had with a German company");
        assert!(w.english >= 3 && w.german == 0);
        assert_eq!(d.detect("This is the best service I have ever had with a German company"), "en");
        // whatlang calls this Dutch; two English words and none of another language decide.
        assert_eq!(d.detect("Impressive machine, the Biegeautomat B7 from Auerhahn Maschinenbau. Solid German engineering"), "en");
    }

    #[test]
    fn umlauts_without_function_words_are_german_unless_turkish() {
        let d = LanguageDetector::default();
        assert_eq!(d.detect("Verspätung aufgrund Stellwerksstörung, Ersatzverkehr Köln-Mülheim"), "de");
        let w = d.function_words("Güzel şehir İstanbul, köprüsü muhteşem");
        assert!(!w.umlaut_not_turkish && w.german == 0);
        assert_ne!(d.detect("Güzel şehir İstanbul, köprüsü muhteşem"), "de");
    }

    #[test]
    fn what_function_words_leave_open_the_models_decide() {
        let d = LanguageDetector::default();
        assert_eq!(d.detect("Merci pour le colis, arrivé en deux jours https://t.co/abc @vendeur"), "fr");
        assert_eq!(d.detect("Gracias por la ayuda, el pedido llegó muy rápido"), "es");
        assert_eq!(d.detect("Worst service ever, still waiting for the spare part"), "en");
        // whichlang knows no Polish (it calls these Vietnamese and Turkish): Polish letters
        // send a text to whatlang.
        assert!(d.function_words("Nie polecam, czekam już trzy tygodnie na część zamienną").polish);
        assert_eq!(d.detect("Nie polecam, czekam już trzy tygodnie na część zamienną"), "pl");
        assert_eq!(d.detect("Świetna obsługa klienta, dziękuję bardzo za szybką pomoc!"), "pl");
        assert!(!d.function_words("Güzel şehir İstanbul, köprüsü muhteşem").polish);
    }

    #[test]
    fn long_texts_are_told_from_their_first_words() {
        let d = LanguageDetector::default();
        let german = "Die Maschine läuft seit gestern wieder, danke für den schnellen Einsatz. ".repeat(6);
        let english = "The machine has been running again since yesterday, thanks for the quick help. ".repeat(20);
        let w = d.function_words(&format!("{german}{english}"));
        assert!(w.read <= german.len() + english.len() && w.english < 10, "{w:?}");
        assert_eq!(d.detect(&format!("{german}{english}")), "de");
        assert_eq!(d.detect(&format!("{english}{german}")), "en");
        // Where the words read end: a char boundary, after the last word read.
        let text = format!("{}Ärger über Lieferzeit", "wort ".repeat(WORDS_READ - 1));
        assert_eq!(&text[..d.function_words(&text).read], format!("{}Ärger", "wort ".repeat(WORDS_READ - 1)));
    }

    #[test]
    fn three_german_function_words_before_any_other_decide() {
        let d = LanguageDetector::default();
        let text = format!("Das ist nicht gut und {}", "the best of the rest and the others ".repeat(4));
        let w = d.function_words(&text);
        assert_eq!((w.german, w.english, w.rest), (EARLY_GERMAN, 0, 0), "{w:?}");
        assert_eq!(d.detect(&text), "de");
        // Another language's word first: read on, and the English majority decides.
        let text = format!("The Zug ist nicht gut und {}", "the best of the rest and the others ".repeat(4));
        assert_eq!(d.detect(&text), "en");
    }

    #[test]
    fn too_little_text_is_undetermined() {
        let d = LanguageDetector::default();
        assert_eq!(d.detect("😍😍👍"), UNDETERMINED);
        assert_eq!(d.detect("Top!"), UNDETERMINED);
        assert_eq!(d.detect("@kundenservice #bahn https://t.co/xyz"), UNDETERMINED);
        assert_eq!(d.function_words("Super @bahn #fail https://x.de").letters, 5);
        assert!(has_words("😍 super") && !has_words("😍 :-) 100 % @bahn #top https://x.de"));
    }
}
