//! A tokenizer for social-media German: keeps URLs, @users, #hashtags (and their CamelCase
//! parts), numbers, emoji and emoticons as tokens, and punctuation that ends a clause.

/// What a raw token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Word,
    Url,
    User,
    Hashtag,
    Number,
    Emoji,
    Emoticon,
    /// `.` `!` `?` `;` `:` `,` — ends a negation scope; `!` and `?` are kept as tokens.
    Punct,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawToken<'a> {
    pub text: &'a str,
    pub kind: Kind,
}

/// Emoticons, longest first; each is matched only at the start of a token. Every one begins
/// with one of `: ; = x X < ^ -` (checked first: most positions start no emoticon).
const EMOTICONS: &[&str] = &[
    ":-)))", ":-))", ":-)", ":))", ":)", ";-)", ";)", ":-D", ":D", "xD", "XD", ":-P", ":P", ":-p", ":p", ":-(((", ":-((", ":-(", ":((", ":(", ":'(", ":-/",
    ":/", ":-|", ":|", ":-*", ":*", ";-(", ";(", "=)", "=D", "=(", "</3", "<3", "^^", "-.-", "-_-",
];

fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F300..=0x1FAFF | 0x2600..=0x27BF | 0x1F000..=0x1F2FF | 0x2B00..=0x2BFF | 0x2300..=0x23FF | 0x3030 | 0x303D)
}

pub(crate) fn is_emoji_modifier(c: char) -> bool {
    matches!(c as u32, 0xFE0E | 0xFE0F | 0x200D | 0x1F3FB..=0x1F3FF | 0x20E3)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Splits `text` into raw tokens; never panics, never allocates per token.
pub fn tokenize(text: &str) -> Vec<RawToken<'_>> {
    let mut out = Vec::with_capacity(text.len() / 5 + 1);
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < text.len() {
        let rest = &text[i..];
        let c = rest.chars().next().unwrap_or(' ');
        // Whitespace starts no token (every branch below would pass it by).
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        // URLs
        if rest.starts_with("http://") || rest.starts_with("https://") || rest.starts_with("www.") {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            out.push(RawToken { text: &rest[..end], kind: Kind::Url });
            i += end;
            continue;
        }
        // Emoticons
        let at_start = || i == 0 || text[..i].ends_with(|p: char| p.is_whitespace() || p == '(' || p == '"');
        if matches!(c, ':' | ';' | '=' | 'x' | 'X' | '<' | '^' | '-') && (at_start() || !text[..i].ends_with(is_word_char)) {
            if let Some(e) = EMOTICONS.iter().find(|e| rest.starts_with(**e)) {
                let after = rest[e.len()..].chars().next();
                if after.is_none_or(|a| !is_word_char(a)) {
                    out.push(RawToken { text: &rest[..e.len()], kind: Kind::Emoticon });
                    i += e.len();
                    continue;
                }
            }
        }
        if (c == '@' || c == '#') && rest[1..].starts_with(is_word_char) {
            let end = 1 + rest[1..].find(|ch: char| !is_word_char(ch)).unwrap_or(rest.len() - 1);
            let kind = if c == '@' { Kind::User } else { Kind::Hashtag };
            out.push(RawToken { text: &rest[..end], kind });
            i += end;
            continue;
        }
        if c.is_ascii_digit() {
            let mut end = 0;
            for (j, ch) in rest.char_indices() {
                let next_digit = rest[j + ch.len_utf8()..].starts_with(|d: char| d.is_ascii_digit());
                if ch.is_ascii_digit() || ((ch == '.' || ch == ',') && next_digit) {
                    end = j + ch.len_utf8();
                } else {
                    break;
                }
            }
            // A number glued to letters (`3er`, `2x`) is a word.
            if rest[end..].starts_with(char::is_alphabetic) {
                let wend = rest.find(|ch: char| !is_word_char(ch)).unwrap_or(rest.len());
                out.push(RawToken { text: &rest[..wend], kind: Kind::Word });
                i += wend;
            } else {
                out.push(RawToken { text: &rest[..end], kind: Kind::Number });
                i += end;
            }
            continue;
        }
        if is_word_char(c) {
            let end = rest.find(|ch: char| !is_word_char(ch)).unwrap_or(rest.len());
            out.push(RawToken { text: &rest[..end], kind: Kind::Word });
            i += end;
            continue;
        }
        if is_emoji(c) {
            out.push(RawToken { text: &rest[..c.len_utf8()], kind: Kind::Emoji });
            i += c.len_utf8();
            while let Some(m) = text[i..].chars().next().filter(|m| is_emoji_modifier(*m)) {
                i += m.len_utf8();
            }
            continue;
        }
        if matches!(c, '.' | '!' | '?' | ';' | ':' | ',' | '…') {
            // A run of the same mark is one token (`!!!` → `!`).
            let mut end = c.len_utf8();
            while text[i + end..].starts_with(c) {
                end += c.len_utf8();
            }
            let _ = bytes;
            out.push(RawToken { text: &rest[..c.len_utf8()], kind: Kind::Punct });
            i += end;
            continue;
        }
        i += c.len_utf8();
    }
    out
}

/// CamelCase parts of a hashtag body: `SchienenChaos` → `Schienen`, `Chaos`.
pub fn camel_parts(tag: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = tag.char_indices().collect();
    for w in 1..chars.len() {
        let (idx, c) = chars[w];
        let prev = chars[w - 1].1;
        if (c.is_uppercase() && prev.is_lowercase()) || c == '_' {
            if idx > start {
                parts.push(&tag[start..idx]);
            }
            start = if c == '_' { idx + 1 } else { idx };
        }
    }
    if start < tag.len() {
        parts.push(&tag[start..]);
    }
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_emoticon_starts_with_a_prefiltered_character() {
        assert!(super::EMOTICONS.iter().all(|e| matches!(e.as_bytes()[0], b':' | b';' | b'=' | b'x' | b'X' | b'<' | b'^' | b'-')));
    }

    use super::*;

    fn kinds(s: &str) -> Vec<(&str, Kind)> {
        tokenize(s).into_iter().map(|t| (t.text, t.kind)).collect()
    }

    #[test]
    fn kisses_winks_of_sorrow_and_broken_hearts_are_emoticons() {
        use Kind::*;
        assert_eq!(
            kinds("super =) danke :* leider ;-( und </3"),
            [("super", Word), ("=)", Emoticon), ("danke", Word), (":*", Emoticon), ("leider", Word), (";-(", Emoticon), ("und", Word), ("</3", Emoticon)]
        );
        assert_eq!(kinds("a=(b) x;(y"), [("a", Word), ("b", Word), ("x", Word), (";", Punct), ("y", Word)], "after a letter: punctuation");
    }

    #[test]
    fn social_tokens_survive() {
        use Kind::*;
        assert_eq!(
            kinds("@DB_Bahn wieder 20 Min. Verspätung!!! #SchienenChaos https://t.co/x 😡"),
            vec![
                ("@DB_Bahn", User),
                ("wieder", Word),
                ("20", Number),
                ("Min", Word),
                (".", Punct),
                ("Verspätung", Word),
                ("!", Punct),
                ("#SchienenChaos", Hashtag),
                ("https://t.co/x", Url),
                ("😡", Emoji)
            ]
        );
        assert_eq!(kinds("super :) aber :-( naja"), vec![("super", Word), (":)", Emoticon), ("aber", Word), (":-(", Emoticon), ("naja", Word)]);
        assert_eq!(kinds("3,5 Sterne für den 3er"), vec![("3,5", Number), ("Sterne", Word), ("für", Word), ("den", Word), ("3er", Word)]);
        assert_eq!(kinds("👍🏽 top"), vec![("👍", Emoji), ("top", Word)]);
        assert_eq!(kinds("Uhrzeit 10:30"), vec![("Uhrzeit", Word), ("10", Number), (":", Punct), ("30", Number)]);
    }

    #[test]
    fn hashtags_split_on_camel_case() {
        assert_eq!(camel_parts("SchienenChaos"), vec!["Schienen", "Chaos"]);
        assert_eq!(camel_parts("bahn"), vec!["bahn"]);
        assert_eq!(camel_parts("DB_Streik"), vec!["DB", "Streik"]);
        assert_eq!(camel_parts("ÖkoStrom"), vec!["Öko", "Strom"]);
    }
}
