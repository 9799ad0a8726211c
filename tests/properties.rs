//! Property tests for the parsers: any input in, no panic out; generated rows survive a
//! round trip through every layout the generator writes.

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use resonanz::ingest::{decode, fields, ingest_files, Event, IngestOptions};
use resonanz::normalize::language::{self, LanguageDetector};
use resonanz::normalize::{tokenize, Normalizer};
use resonanz::synth::{self, SynthLayout, SynthMention, Tone};
use resonanz::Mention;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn tokens_are_the_texts_own_pieces_in_order(s in "(\\PC|[ @#:;)(<3^x.!?,0-9a-zA-ZäöüßÄ\\u{1F600}\\u{FE0F}]| https?://[a-z./]{0,8}| www\\.[a-z]{1,4}){0,60}") {
        // Never panics; every token is a non-empty slice of the text with no whitespace in
        // it, and tokens follow each other without overlapping.
        let mut end = 0;
        for t in tokenize::tokenize(&s) {
            let at = t.text.as_ptr() as usize - s.as_ptr() as usize;
            prop_assert!(at >= end && at + t.text.len() <= s.len(), "{:?} out of order in {:?}", t, s);
            prop_assert!(!t.text.is_empty() && !t.text.contains(char::is_whitespace), "{:?}", t);
            end = at + t.text.len();
        }
        let _ = Normalizer::default().normalize(&s);
    }

    #[test]
    fn language_detection_never_panics_and_gives_a_known_code(s in "(\\PC|[ a-zA-ZäöüßąęłńśźżćşçğıéèàòñãõЖжب]|[a-z]{1,12} | https?://[a-z./]{0,8}| @[a-z]{1,6}| #[a-z]{1,6}){0,80}") {
        let code = LanguageDetector::default().detect(&s);
        let known = code == language::UNDETERMINED
            || language::WHICHLANG_LANGUAGES.iter().any(|(_, c)| *c == code)
            || language::LANGUAGES.iter().any(|(_, c)| *c == code);
        prop_assert!(known, "{:?} for {:?}", code, s);
    }

    #[test]
    fn field_parsers_never_panic(s in "\\PC{0,40}", b in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = fields::parse_date(&s, fields::DateOrder::Dmy);
        let _ = fields::parse_date(&s, fields::DateOrder::Mdy);
        let _ = fields::parse_count(&s);
        let _ = fields::parse_tool_sentiment(&s);
        let _ = fields::parse_time(&s);
        let _ = fields::channel_from_label(&s);
        let _ = fields::channel_from_url(&s);
        let _ = decode::sniff(&b, true);
        let _ = decode::sniff(&b, false);
        let _ = decode::cell_str(&b);
    }

    #[test]
    fn date_like_strings_never_panic(s in "[0-9]{1,4}[-./ ][0-9A-Za-zä]{1,4}[-./ ][0-9]{1,4}( [0-9]{1,2}:[0-9]{2}(:[0-9]{2})?( ?[AP]M)?)?( ?(Z|[+-][0-9]{2}:?[0-9]{2}))?") {
        let _ = fields::parse_date(&s, fields::DateOrder::Dmy);
    }

    #[test]
    fn valid_german_dates_parse_to_the_same_day(y in 1990i32..2100, m in 1u32..=12, d in 1u32..=28, h in 0u32..24, mi in 0u32..60) {
        let s = format!("{d:02}.{m:02}.{y} {h:02}:{mi:02}");
        let p = fields::parse_date(&s, fields::DateOrder::Dmy).unwrap();
        prop_assert_eq!(p.naive.format("%d.%m.%Y %H:%M").to_string(), s);
    }

    #[test]
    fn german_and_english_thousands_agree(n in 0i64..10_000_000_000) {
        let digits = n.to_string();
        let group = |sep: char| {
            let mut out = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 { out.push(sep); }
                out.push(c);
            }
            out
        };
        prop_assert_eq!(fields::parse_count(&group('.')), Ok(Some(n)));
        prop_assert_eq!(fields::parse_count(&group(',')), Ok(Some(n)));
        prop_assert_eq!(fields::parse_count(&digits), Ok(Some(n)));
    }

    #[test]
    fn any_bytes_as_a_file_never_panic_and_every_row_is_accounted_for(
        b in proptest::collection::vec(prop_oneof![Just(b','), Just(b';'), Just(b'\n'), Just(b'"'), Just(b'\r'), any::<u8>(), 0x61u8..0x7a], 0..400),
        header in prop_oneof![Just(&b"date,text\n"[..]), Just(&b"Datum;Text;Link\n"[..]), Just(&b""[..])],
    ) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.csv");
        let mut bytes = header.to_vec();
        bytes.extend_from_slice(&b);
        std::fs::write(&p, &bytes).unwrap();
        let mut n = (0u64, 0u64, 0u64);
        let files = ingest_files(&[p], &IngestOptions::default(), |e| match e {
            Event::Mention(_) => n.0 += 1,
            Event::Duplicate(_) => n.1 += 1,
            Event::Reject(_) => n.2 += 1,
            Event::Warning(_) => {}
        }, |_| {}).expect("scratch files");
        let f = &files[0];
        prop_assert_eq!(f.counts.rows_in, f.counts.mentions + f.counts.duplicates + f.counts.rejected);
        prop_assert_eq!((f.counts.mentions, f.counts.duplicates), (n.0, n.1));
    }

    #[test]
    fn generated_rows_round_trip_through_every_layout(
        texts in proptest::collection::vec("[A-Za-z0-9äöüÄÖÜß€ ,;:\"'.!?()-]{0,60}[A-Za-zäöü!?]", 1..8),
        reach in proptest::collection::vec(0i64..50_000_000, 8),
        seed in 0u64..1000,
    ) {
        let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2025, 12, 31, 0, 0, 0).unwrap();
        let mut g = synth::Generator::new(seed, start, end, texts.len() as u64);
        let originals: Vec<SynthMention> = texts.iter().zip(&reach).map(|(t, r)| {
            let mut m = g.next_mention();
            m.text = t.trim().to_string();
            m.reach = *r;
            m.published_at = m.published_at - chrono::Duration::seconds(m.published_at.timestamp() % 60);
            m
        }).filter(|m| !m.text.is_empty()).collect();
        for layout in [SynthLayout::Brandwatch, SynthLayout::Meltwater, SynthLayout::Talkwalker, SynthLayout::ExcelDe, SynthLayout::Generic] {
            // A Windows-1252 file is told from UTF-8 by its bytes; a file whose only
            // non-ASCII bytes also form valid UTF-8 is ambiguous by nature. Real German
            // exports have lowercase umlauts, which settle it.
            let mut originals = originals.clone();
            if layout == SynthLayout::ExcelDe {
                if let Some(m) = originals.first_mut() {
                    m.text.push_str(" – Grüße aus Köln");
                }
            }
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("x.csv");
            synth::write_export(layout, originals.clone(), std::fs::File::create(&p).unwrap()).unwrap();
            let mut got: Vec<Mention> = Vec::new();
            ingest_files(&[p], &IngestOptions::default(), |e| if let Event::Mention(m) = e { got.push(*m) }, |_| {}).expect("scratch files");
            prop_assert_eq!(got.len(), originals.len(), "{:?}", layout);
            for (o, m) in originals.iter().zip(&got) {
                prop_assert_eq!(&m.text, &o.text, "{:?}", layout);
                if matches!(layout, SynthLayout::ExcelDe | SynthLayout::Meltwater) {
                    // Local Berlin time without offset: the repeated DST hour is read as its first pass.
                    let local = |t: chrono::DateTime<Utc>| t.with_timezone(&chrono_tz::Europe::Berlin).naive_local();
                    prop_assert_eq!(local(m.published_at), local(o.published_at), "{:?}", layout);
                } else {
                    prop_assert_eq!(m.published_at, o.published_at, "{:?}", layout);
                }
                prop_assert_eq!(m.url.as_deref(), Some(o.url.as_str()), "{:?}", layout);
                let cp1252_lossy = layout == SynthLayout::ExcelDe && encoding_rs::WINDOWS_1252.encode(&o.author).2;
                if !cp1252_lossy {
                    prop_assert_eq!(m.author.as_deref(), Some(o.author.as_str()), "{:?}", layout);
                }
                if layout != SynthLayout::Generic {
                    prop_assert_eq!(m.reach, Some(o.reach), "{:?}", layout);
                }
                if matches!(layout, SynthLayout::Brandwatch | SynthLayout::Talkwalker | SynthLayout::ExcelDe) {
                    prop_assert_eq!(m.channel, o.channel, "{:?}", layout);
                }
                let want = match o.tool_tone { Some(Tone::Negative) => "negative", Some(Tone::Neutral) => "neutral", Some(Tone::Positive) => "positive", None => "unknown" };
                prop_assert_eq!(m.tool_sentiment.as_str(), want, "{:?}", layout);
            }
        }
    }

    #[test]
    fn line_ends_and_byte_order_marks_never_lose_a_record(
        n in 1u64..40,
        seed in 0u64..1000,
        ending in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
        bom in any::<bool>(),
        layout in prop_oneof![Just(SynthLayout::Generic), Just(SynthLayout::Brandwatch), Just(SynthLayout::Talkwalker)],
    ) {
        // The independent count: the generator wrote `n` records; whatever the line ends
        // (LF, CRLF, a lone CR) and a UTF-8 BOM, every one must be read as a record.
        let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2025, 12, 31, 0, 0, 0).unwrap();
        let mut g = synth::Generator::new(seed, start, end, n);
        let originals: Vec<SynthMention> = (0..n).map(|_| g.next_mention()).collect();
        let mut plain = Vec::new();
        synth::write_export(layout, originals, &mut plain).unwrap();
        let text = String::from_utf8(plain).unwrap();
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text).replace("\r\n", "\n").replace('\n', ending);
        let mut bytes = if bom { "\u{feff}".as_bytes().to_vec() } else { Vec::new() };
        bytes.extend_from_slice(text.as_bytes());
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        std::fs::write(&p, &bytes).unwrap();
        let files = ingest_files(&[p], &IngestOptions::default(), |_| {}, |_| {}).expect("scratch files");
        let f = &files[0];
        prop_assert_eq!(f.error.as_deref(), None);
        prop_assert_eq!(f.counts.rows_in, n, "{:?} {:?} bom {}", layout, ending, bom);
        prop_assert_eq!(f.counts.rows_in, f.counts.mentions + f.counts.duplicates + f.counts.rejected);
    }
}
