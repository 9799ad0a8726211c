//! German stop words, written for resonanz: articles, pronouns, auxiliaries, conjunctions and
//! prepositions. Unlike the Snowball list it never contains a negation (`nicht`, `kein`,
//! `nie`, `ohne`, `nichts`, `weder`) or an intensifier (`sehr`, `zu`, `total`, `gar`, `so`),
//! because those carry sentiment.

#[rustfmt::skip]
pub const STOP_WORDS: &[&str] = &[
    "a", "aber", "alle", "allem", "allen", "aller", "alles", "als", "also", "am", "an", "and", "ander",
    "andere", "anderem", "anderen", "anderer", "anderes", "auch", "auf", "aus", "bei", "bin", "bis", "bist",
    "da", "damit", "dann", "das", "dass", "daß", "dein", "deine", "dem", "den", "denn", "der", "des",
    "deshalb", "dessen", "die", "dies", "diese", "diesem", "diesen", "dieser", "dieses", "doch", "dort", "du",
    "durch", "ein", "eine", "einem", "einen", "einer", "eines", "er", "es", "etwas", "euch", "euer", "eure",
    "for", "für", "hab", "habe", "haben", "hat", "hatte", "hatten", "hier", "hin", "hinter", "ich", "ihm",
    "ihn", "ihnen", "ihr", "ihre", "im", "in", "ins", "is", "ist", "it", "ja", "jede", "jedem", "jeden",
    "jeder", "jedes", "jetzt", "kann", "können", "man", "mein", "meine", "mich", "mir", "mit", "muss", "nach",
    "noch", "nun", "nur", "ob", "oder", "of", "sein", "seine", "sich", "sie", "sind", "soll", "the", "to",
    "um", "und", "uns", "unser", "unsere", "unter", "vom", "von", "vor", "war", "waren", "was", "weil",
    "welche", "wenn", "wer", "werde", "werden", "wie", "wir", "wird", "wo", "zum", "zur", "über",
];

pub fn is_stop_word(w: &str) -> bool {
    STOP_WORDS.binary_search(&w).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_without_negations() {
        let mut sorted = STOP_WORDS.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, STOP_WORDS, "keep the list sorted for binary search");
        for w in ["nicht", "kein", "keine", "nie", "ohne", "nichts", "weder", "sehr", "zu", "total", "gar", "so"] {
            assert!(!is_stop_word(w), "{w}");
        }
    }
}
