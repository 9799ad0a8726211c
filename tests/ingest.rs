//! Ingest on one fixture per layout and encoding: detection, mapping, values, accounting.

use std::path::PathBuf;

use resonanz::ingest::{ingest_files, Event, FileReport, IngestOptions, Reject, Warning};
use resonanz::{Channel, Mention, ToolSentiment};

use crate::util::{fixture, inspect_json};

struct Read {
    file: FileReport,
    mentions: Vec<Mention>,
    rejects: Vec<Reject>,
    warnings: Vec<Warning>,
    duplicates: usize,
}

fn read(paths: &[PathBuf]) -> Vec<Read> {
    let mut out = Vec::new();
    for p in paths {
        let (mut mentions, mut rejects, mut warnings, mut duplicates) = (vec![], vec![], vec![], 0);
        let mut files = ingest_files(
            std::slice::from_ref(p),
            &IngestOptions::default(),
            |e| match e {
                Event::Mention(m) => mentions.push(*m),
                Event::Reject(r) => rejects.push(*r),
                Event::Warning(w) => warnings.push(*w),
                Event::Duplicate(_) => duplicates += 1,
            },
            |_| {},
        )
        .expect("scratch files");
        let file = files.pop().unwrap();
        assert_eq!(
            file.counts.rows_in,
            file.counts.mentions + file.counts.duplicates + file.counts.rejected,
            "{}: rows_in = mentions + duplicates + rejected",
            file.path
        );
        assert_eq!(file.counts.mentions as usize, mentions.len());
        assert_eq!(file.counts.rejected as usize, rejects.len());
        out.push(Read { file, mentions, rejects, warnings, duplicates });
    }
    out
}

fn one(name: &str) -> Read {
    read(&[fixture(name)]).pop().unwrap()
}

fn utc(m: &Mention) -> String {
    m.published_at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[test]
fn brandwatch_with_preamble_and_multiline_text() {
    let r = one("brandwatch_preamble.csv");
    assert_eq!((r.file.tool.as_str(), r.file.header_line, r.file.counts.rows_in), ("brandwatch", 7, 3));
    assert_eq!(r.file.delimiter.as_deref(), Some(","));
    let m = &r.mentions;
    assert_eq!(m.len(), 3);
    assert_eq!(m[0].text, "Service top, Techniker kam sofort 👍");
    assert_eq!(m[0].author.as_deref(), Some("jonas"), "leading @ dropped");
    assert_eq!(m[0].engagement, Some(7), "Twitter Retweets + Likes");
    assert_eq!(m[0].reach, Some(1200));
    assert_eq!(m[0].tool_sentiment, ToolSentiment::Positive);
    assert_eq!(utc(&m[0]), "2024-05-03T10:15:00Z", "Brandwatch dates are UTC");
    assert_eq!(m[1].text, "Lieferung zu spät.\nSchon wieder \"drei\" Wochen!");
    assert_eq!((m[1].source_line, m[2].source_line), (9, 11), "lines count the embedded line break");
    assert_eq!(m[1].channel, Channel::News);
    assert_eq!(m[2].text, "Nur der Snippet", "Full Text → Snippet fallback");
    assert_eq!(m[2].country.as_deref(), Some("AT"));
}

#[test]
fn meltwater_utf16_tabs_and_twelve_hour_dates() {
    let r = one("meltwater_utf16.csv");
    assert_eq!(r.file.tool, "meltwater");
    assert_eq!(r.file.encoding.map(|e| e.as_str()), Some("utf-16le"));
    assert!(r.file.bom);
    assert_eq!(r.file.delimiter.as_deref(), Some("\t"));
    let m = &r.mentions;
    // Account-local (Berlin) wall time, UTC+1 in November.
    assert_eq!(utc(&m[0]), "2023-11-15T09:30:00Z");
    assert_eq!(utc(&m[1]), "2023-11-15T11:05:00Z");
    assert_eq!(utc(&m[2]), "2023-11-15T23:00:00Z", "12:00AM is midnight");
    assert_eq!(r.file.naive_timezone, "Europe/Berlin");
    assert_eq!(m[0].tool_sentiment, ToolSentiment::Positive);
    assert_eq!(m[1].tool_sentiment, ToolSentiment::Unknown, "Not Rated is not neutral");
    assert_eq!(m[1].channel, Channel::News, "Meltwater news default");
    assert_eq!(m[2].channel, Channel::Forum);
    assert_eq!(m[0].language.as_deref(), Some("de"));
    assert_eq!(m[0].query.as_deref(), Some("Auerhahn"));
}

#[test]
fn talkwalker_bom_and_offsets_across_dst() {
    let r = one("talkwalker_bom.csv");
    assert_eq!(r.file.tool, "talkwalker");
    assert!(r.file.bom);
    let m = &r.mentions;
    assert_eq!(utc(&m[0]), "2024-03-31T00:30:00Z");
    assert_eq!(utc(&m[1]), "2024-03-31T01:30:00Z");
    assert_eq!(m[0].text, "Video zur B7\nsehr gut erklärt");
    assert_eq!((m[0].channel, m[1].channel), (Channel::Youtube, Channel::Blog));
    assert_eq!((m[0].tool_sentiment, m[1].tool_sentiment), (ToolSentiment::Positive, ToolSentiment::Negative));
}

#[test]
fn german_excel_cp1252_numbers_and_local_time() {
    let r = one("excel_de_cp1252.csv");
    assert_eq!(r.file.tool, "excel_de");
    assert_eq!(r.file.encoding.map(|e| e.as_str()), Some("windows-1252"));
    assert_eq!(r.file.delimiter.as_deref(), Some(";"));
    let m = &r.mentions;
    assert_eq!(m.len(), 3, "a mangled Beitrags-ID must not make duplicates");
    assert_eq!(m[0].text, "Grüße aus Straßburg, alles prima ?");
    assert_eq!(m[0].author.as_deref(), Some("müller"));
    assert_eq!(utc(&m[0]), "2016-03-27T00:59:00Z", "Berlin winter time");
    assert_eq!(utc(&m[1]), "2016-03-27T01:00:00Z", "Berlin summer time after the DST jump");
    assert_eq!((m[0].reach, m[1].reach, m[2].reach), (Some(12345), Some(1234567), Some(0)));
    assert_eq!(m[1].text, "Maschinenbauer kürzt Stellen;\nBetriebsrat empört");
    assert_eq!(m[2].channel, Channel::Review);
    assert_eq!(m[1].tool_sentiment, ToolSentiment::Negative);
}

#[test]
fn brand24_blank_first_line_and_separate_time() {
    let r = one("brand24.csv");
    assert_eq!((r.file.tool.as_str(), r.file.header_line), ("brand24", 2));
    let m = &r.mentions;
    assert_eq!(utc(&m[0]), "2024-05-03T08:21:00Z");
    assert_eq!(m[0].url.as_deref(), Some("https://www.instagram.com/p/abc/"));
    assert_eq!((m[0].channel, m[1].channel), (Channel::Instagram, Channel::Forum));
    assert_eq!(m[1].tool_sentiment, ToolSentiment::Negative);
}

#[test]
fn xlsx_sheet_with_empty_first_row() {
    let r = one("brand24.xlsx");
    assert_eq!((r.file.tool.as_str(), r.file.format.as_str(), r.file.header_line), ("brand24", "spreadsheet", 2));
    assert_eq!(r.mentions.len(), 2);
    assert_eq!(utc(&r.mentions[0]), "2024-05-03T08:21:00Z");
    assert_eq!(r.mentions[0].text, "Tolle Maschine, läuft und läuft 👍");
    assert_eq!(r.rejects.len(), 1);
    assert_eq!(r.rejects[0].line, 5);
    assert_eq!(r.rejects[0].column_name.as_deref(), Some("Date"));
}

#[test]
fn generic_unknown_and_utf16be_layouts() {
    let r = one("generic.csv");
    assert_eq!((r.file.tool.as_str(), r.mentions.len()), ("generic", 2));
    assert_eq!(r.mentions[0].text, "Kurzer Text, mit Komma");
    let r = one("unknown_layout.csv");
    assert_eq!(r.mentions.len(), 2, "date, text and link found by content");
    assert_eq!(r.mentions[0].text, "Der Service war leider wieder sehr langsam");
    assert_eq!(r.mentions[0].channel, Channel::Forum);
    assert_eq!(utc(&r.mentions[0]), "2024-05-03T08:15:00Z");
    let r = one("generic_utf16be.csv");
    assert_eq!(r.file.encoding.map(|e| e.as_str()), Some("utf-16be"));
    assert_eq!(r.mentions[0].text, "Grüße aus Köln 🙂");
    assert_eq!(r.mentions[0].channel, Channel::Xing);
}

#[test]
fn a_quote_never_closed_is_a_reject_even_when_the_field_count_fits() {
    // The last column opens a quote that is never closed: the two lines after it are read
    // into its cell and the record has as many fields as the header. It was a mention with
    // the next rows glued to its text, and nothing said so.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unclosed.csv");
    std::fs::write(&path, "date,text\r\n2026-01-01,gut\r\n2026-01-02,\"Lieferung kam nie\r\n2026-01-03,ok\r\n2026-01-04,prima\r\n").unwrap();
    let r = read(std::slice::from_ref(&path)).pop().unwrap();
    assert_eq!((r.file.counts.rows_in, r.mentions.len(), r.rejects.len()), (2, 1, 1));
    let reject = &r.rejects[0];
    assert_eq!((reject.line, reject.column, reject.column_name.as_deref(), reject.reason.kind()), (3, Some(2), Some("text"), "unclosed_quote"));
    assert!(reject.reason.to_string().contains("never closed: the rest of the file (2 more lines)"), "{}", reject.reason);
    // A closed quote over lines at the end of the file is no reject.
    std::fs::write(&path, "date,text\n2026-01-01,\"zwei\nZeilen\"  \n").unwrap();
    let r = read(std::slice::from_ref(&path)).pop().unwrap();
    assert_eq!((r.mentions.len(), r.rejects.len()), (1, 0));
    assert_eq!(r.mentions[0].text, "zwei\nZeilen");
}

#[test]
fn torture_every_record_is_accounted_for() {
    let r = one("torture.csv");
    assert_eq!(r.file.counts.rows_in, 11);
    assert_eq!((r.mentions.len(), r.duplicates, r.rejects.len()), (6, 1, 4));
    assert_eq!(r.file.counts.skipped_lines, 1, "the blank line");
    let lines: Vec<u64> = r.mentions.iter().map(|m| m.source_line).collect();
    assert_eq!(lines, vec![2, 3, 6, 11, 12, 13]);
    let rejected: Vec<(u64, Option<&str>)> = r.rejects.iter().map(|r| (r.line, r.column_name.as_deref())).collect();
    // Line 14's text cell opens a quote that is never closed: the cell that did it.
    assert_eq!(rejected, vec![(5, Some("text")), (7, Some("date")), (9, None), (14, Some("text"))]);
    let kinds: Vec<&str> = r.rejects.iter().map(|r| r.reason.kind()).collect();
    assert_eq!(kinds, ["text_empty", "date_does_not_exist", "field_count", "unclosed_quote"]);
    let says = |i: usize| r.rejects[i].reason.to_string();
    assert!(says(1).contains("does not exist"), "{}", says(1));
    assert!(says(2).starts_with("7 fields where the header has 5"), "{}", says(2));
    assert!(says(3).contains("never closed"), "{}", says(3));
    let m = |line| r.mentions.iter().find(|m| m.source_line == line).unwrap();
    assert_eq!(m(6).text, "Er sagte \"nie wieder\"", "stray quotes kept literally");
    assert_eq!(m(11).text, "Grüße aus München", "Windows-1252 cell repaired");
    assert_eq!(m(12).text, "NUL im Text");
    assert!(m(13).text.len() > 290_000, "large field accepted");
    let warned: Vec<u64> = r.warnings.iter().map(|w| w.line).collect();
    assert_eq!(warned, vec![11, 12]);
}

#[test]
fn duplicates_across_files_are_dropped_once() {
    // The same export twice, under another name.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.csv");
    std::fs::copy(fixture("torture.csv"), &copy).unwrap();
    let paths = [fixture("torture.csv"), copy.clone()];
    let mut n = (0, 0, 0, 0);
    let mut dups = Vec::new();
    let files = ingest_files(
        &paths,
        &IngestOptions::default(),
        |e| match e {
            Event::Mention(_) => n.0 += 1,
            Event::Duplicate(d) => dups.push(*d),
            Event::Reject(_) => n.2 += 1,
            Event::Warning(_) => n.3 += 1,
        },
        |_| {},
    )
    .expect("scratch files");
    n.1 = dups.len();
    assert_eq!((n.0, n.1, n.2), (6, 1 + 7, 8));
    assert_eq!(files[1].counts.mentions, 0);
    assert_eq!(files[1].counts.duplicates, 7);
    // The one duplicate within the first file names the earlier line; in the second copy
    // every mention names its own line in the first, but that one, which names the same
    // earlier line. In the order they were read.
    let first = paths[0].display().to_string();
    let (within, across) = dups.split_at(1);
    let (line, of) = (within[0].line, within[0].duplicate_of_line);
    assert!(of < line, "{within:?}");
    assert_eq!(within[0].duplicate_of_file, first);
    assert!(across.windows(2).all(|w| w[0].line < w[1].line), "{across:?}");
    for d in across {
        assert_eq!((d.file.as_str(), d.duplicate_of_file.as_str()), (copy.to_str().unwrap(), first.as_str()), "{d:?}");
        assert_eq!(d.duplicate_of_line, if d.line == line { of } else { d.line }, "{d:?}");
        assert_eq!(d.mention_id.len(), 16);
    }
    assert!(across.iter().any(|d| d.line == line && d.mention_id == within[0].mention_id));
}

#[test]
fn unreadable_files_say_why() {
    for (name, why) in [("empty.csv", "file is empty"), ("binary.csv", "binary"), ("no_text.csv", "no text column")] {
        let v = inspect_json(&fixture(name));
        let err = v["error"].as_str().unwrap_or_default();
        assert!(err.contains(why), "{name}: {err}");
        assert_eq!(v["rows_in"], 0);
    }
}

#[test]
fn inspect_json_has_the_contract_fields() {
    let v = inspect_json(&fixture("brandwatch_preamble.csv"));
    for key in ["path", "tool", "encoding", "delimiter", "header_line", "rows_in", "mentions", "duplicates", "rejected", "columns"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["encoding"], "utf-8");
    assert_eq!(v["columns"]["text"], "Full Text > Snippet > Title");
}

#[test]
fn a_zone_named_in_the_header_or_the_value_wins_over_the_layout_default() {
    // The generic layout reads naive dates as Berlin time; this header says UTC.
    let r = one("zones_named.csv");
    assert_eq!(r.file.naive_timezone, "UTC");
    assert_eq!(r.file.timezone_source, "named in the header `Date (UTC)`");
    let m = &r.mentions;
    assert_eq!(utc(&m[0]), "2024-11-03T17:57:15Z");
    assert_eq!(utc(&m[1]), "2024-11-04T08:00:00Z", "CEST is +02:00");
    assert_eq!(utc(&m[2]), "2024-07-04T13:00:00Z", "BRT is −03:00");
    assert_eq!(utc(&m[3]), "2024-07-05T14:00:00Z", "EDT is −04:00");
    assert_eq!(utc(&m[4]), "2024-07-06T09:00:00Z", "BST is +01:00");
    assert_eq!(utc(&m[5]), "2024-07-07T00:00:00Z", "AEST is +10:00");
    // CST names three zones (US Central, China, Cuba): not guessed, the row is rejected.
    assert_eq!((r.file.counts.mentions, r.file.counts.rejected), (6, 1));
    assert_eq!(r.file.dates_with_offset, 5, "the first date was read in the header's zone, the others in their own");
    let v = inspect_json(&fixture("meltwater_utf16.csv"));
    assert_eq!((v["dates_with_offset"].as_u64(), v["timezone_source"].as_str()), (Some(0), Some("layout meltwater default")), "{v}");
    // --timezone overrides the header.
    let opts = IngestOptions { timezone: Some(chrono_tz::Europe::Berlin), ..IngestOptions::default() };
    let files = ingest_files(&[fixture("zones_named.csv")], &opts, |_| {}, |_| {}).expect("scratch files");
    assert_eq!(files[0].timezone_source, "--timezone");
}

#[test]
fn a_profile_image_column_is_not_the_mention_link() {
    // twarc-like: no post URL column, but every row has the author's picture. Taken as the
    // link, it made five tweets one mention and four duplicates.
    let r = one("profile_image_column.csv");
    assert_eq!((r.file.counts.mentions, r.file.counts.duplicates), (5, 0), "{:?}", r.file.columns);
    assert!(!r.file.columns.contains_key("url"), "{:?}", r.file.columns);
    assert!(r.mentions.iter().all(|m| m.url.is_none()));
}

#[test]
fn crowdtangle_and_x_analytics_exports_have_layouts_of_their_own() {
    let r = one("crowdtangle_facebook.csv");
    assert_eq!(r.file.tool, "crowdtangle");
    assert!(r.file.bom);
    let m = &r.mentions;
    assert_eq!(m.len(), 2);
    assert_eq!(utc(&m[0]), "2023-10-21T07:57:11Z", "CEST in the value");
    assert_eq!(utc(&m[1]), "2023-11-02T17:05:00Z", "CET in the value");
    assert_eq!(m[0].channel, Channel::Facebook);
    assert_eq!(m[0].engagement, Some(3903), "German thousands");
    assert_eq!(m[0].reach, Some(13002));
    assert_eq!(m[0].author.as_deref(), Some("Auerhahn Maschinenbau"));
    assert_eq!(m[0].url.as_deref(), Some("https://www.facebook.com/auerhahn.maschinenbau/posts/1"));

    let r = one("x_analytics.csv");
    assert_eq!(r.file.tool, "x_analytics");
    let m = &r.mentions;
    assert_eq!(utc(&m[0]), "2022-11-03T08:29:00Z");
    assert_eq!((m[0].reach, m[0].engagement), (Some(424), Some(17)), "counts written as 424.0");
    assert_eq!(m[0].channel, Channel::Twitter);
    assert_eq!(m[0].vendor_id.as_deref(), Some("1588000000000000001"));
    assert_eq!(r.file.counts.rejected, 0);
}

#[test]
fn twarc_csv_builds_the_post_link_from_author_and_id() {
    let r = one("twarc_csv.csv");
    assert_eq!(r.file.tool, "twarc");
    assert_eq!(r.file.columns.get("url").map(String::as_str), Some("https://twitter.com/{author.username}/status/{id}"));
    let m = &r.mentions;
    assert_eq!(m.len(), 2, "not one mention per profile picture or API URL");
    assert_eq!(m[0].url.as_deref(), Some("https://twitter.com/auerhahn_fan/status/1853000000000000001"));
    assert_eq!(m[1].url.as_deref(), Some("https://twitter.com/auerhahn_fan/status/1853000000000000002"));
    assert_eq!((m[0].channel, m[0].reach, m[0].engagement), (Channel::Twitter, Some(1200), Some(8)));
    assert_eq!(utc(&m[0]), "2024-11-03T10:00:00Z");
}

#[test]
fn trustpilot_stars_are_the_vendor_rating_and_the_domain_is_not_a_link() {
    let r = one("trustpilot.csv");
    assert_eq!(r.file.tool, "trustpilot");
    let m = &r.mentions;
    assert_eq!(m.len(), 3, "three reviews, not one mention and two duplicates of the shop's domain");
    assert!(m.iter().all(|m| m.url.is_none()), "Domain Url is the shop's, not the review's");
    let stars: Vec<ToolSentiment> = m.iter().map(|m| m.tool_sentiment).collect();
    assert_eq!(stars, [ToolSentiment::Positive, ToolSentiment::Negative, ToolSentiment::Neutral]);
    assert_eq!(m[0].channel, Channel::Review);
    assert_eq!(utc(&m[0]), "2024-11-03T17:57:15Z", "Review Created (UTC)");
}

/// A zip archive at `path` holding `(name in the archive, fixture)` files, deflated.
fn zip_of(path: &std::path::Path, files: &[(&str, &str)]) {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, fx) in files {
        w.start_file(*name, deflated).unwrap();
        w.write_all(&std::fs::read(fixture(fx)).unwrap()).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn zipped_and_gzipped_downloads_are_read_as_the_files_they_hold() {
    let dir = tempfile::tempdir().unwrap();
    // Brandwatch's large download: a folder with the CSV; beside it a second export, a
    // spreadsheet, a macOS resource fork and a PDF (not exports).
    let zip = dir.path().join("Brandwatch Export 2024-05.zip");
    zip_of(
        &zip,
        &[
            ("Brandwatch Export/brandwatch_preamble.csv", "brandwatch_preamble.csv"),
            ("Brandwatch Export/torture.csv", "torture.csv"),
            ("Brandwatch Export/brand24.xlsx", "brand24.xlsx"),
            ("__MACOSX/Brandwatch Export/._torture.csv", "binary.csv"),
            ("Brandwatch Export/Report.pdf", "binary.csv"),
        ],
    );
    let gz = dir.path().join("talkwalker.csv.gz");
    let mut e = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::default());
    std::io::Write::write_all(&mut e, &std::fs::read(fixture("talkwalker_bom.csv")).unwrap()).unwrap();
    e.finish().unwrap();

    let z = zip.display().to_string();
    let mut all = Vec::new();
    ingest_files(&[zip.clone(), gz.clone()], &IngestOptions::default(), |_| {}, |f| all.push(f.path.clone())).expect("scratch files");
    assert_eq!(
        all,
        [
            format!("{z}!Brandwatch Export/brandwatch_preamble.csv"),
            format!("{z}!Brandwatch Export/torture.csv"),
            format!("{z}!Brandwatch Export/brand24.xlsx"),
            gz.display().to_string(),
        ]
    );
    // Everything as from the unpacked files: layout, header line, mentions with their
    // lines, rejects with theirs, the counts.
    let all_packed = read_all(&[zip.clone(), gz.clone()]);
    let all_plain = read_all(&[fixture("brandwatch_preamble.csv"), fixture("torture.csv"), fixture("brand24.xlsx"), fixture("talkwalker_bom.csv")]);
    assert_eq!(all_packed.0.len(), all_plain.0.len());
    for (a, b) in all_packed.0.iter().zip(&all_plain.0) {
        assert_eq!((a.source_line, &a.text, a.published_at, a.channel), (b.source_line, &b.text, b.published_at, b.channel));
        assert!(a.source_file.starts_with(&format!("{z}!Brandwatch Export/")) || a.source_file.ends_with(".csv.gz"), "{}", a.source_file);
    }
    let lines = |r: &[Reject]| r.iter().map(|r| (r.line, r.column, r.reason.to_string())).collect::<Vec<_>>();
    assert_eq!(lines(&all_packed.1), lines(&all_plain.1));
    assert!(all_packed.1.iter().all(|r| r.file.starts_with(&format!("{z}!Brandwatch Export/"))), "rejects name the inner file");
    for (a, b) in all_packed.2.iter().zip(&all_plain.2) {
        assert_eq!(
            (&a.tool, a.header_line, a.counts.rows_in, a.counts.mentions, a.counts.rejected),
            (&b.tool, b.header_line, b.counts.rows_in, b.counts.mentions, b.counts.rejected),
            "{}",
            a.path
        );
    }

    // An archive without exports, and a broken one: one reject each, saying why.
    let empty = dir.path().join("empty.zip");
    zip_of(&empty, &[("Report.pdf", "binary.csv")]);
    let broken = dir.path().join("broken.zip");
    std::fs::write(&broken, b"PK\x03\x04 cut off").unwrap();
    let (_, rejects, files) = read_all(&[empty, broken]);
    assert_eq!(rejects.len(), 2);
    assert!(files[0].error.as_deref().unwrap_or_default().contains("no export file"), "{:?}", files[0].error);
    assert!(files[1].error.as_deref().unwrap_or_default().contains("zip"), "{:?}", files[1].error);
}

/// Mentions, rejects and file reports of reading `paths` together.
fn read_all(paths: &[PathBuf]) -> (Vec<Mention>, Vec<Reject>, Vec<FileReport>) {
    let (mut mentions, mut rejects) = (vec![], vec![]);
    let files = ingest_files(
        paths,
        &IngestOptions::default(),
        |e| match e {
            Event::Mention(m) => mentions.push(*m),
            Event::Reject(r) => rejects.push(*r),
            _ => {}
        },
        |_| {},
    )
    .expect("scratch files");
    (mentions, rejects, files)
}

#[test]
fn x_premium_youtube_data_tools_and_facepager_exports_have_layouts_of_their_own() {
    // X Premium `account_analytics_content`: a day without time of day, read in the report
    // zone (so that 3 November stays 3 November), counts with a thousands comma.
    let r = one("x_premium_content.csv");
    assert_eq!((r.file.tool.as_str(), r.file.counts.rejected), ("x_premium_analytics", 0));
    let m = &r.mentions;
    assert_eq!(utc(&m[0]), "2025-11-02T23:00:00Z", "midnight in Berlin");
    assert_eq!(m[0].channel, Channel::Twitter);
    assert_eq!((m[0].reach, m[0].engagement), (Some(1204), Some(40)));
    assert_eq!(m[1].reach, Some(2316));
    assert_eq!(m[0].vendor_id.as_deref(), Some("1985000000000000001"));
    assert_eq!(m[0].url.as_deref(), Some("https://x.com/auerhahn_mb/status/1985000000000000001"));

    // YouTube Data Tools comments: UTC, no link column (the comment's link is built), a
    // reply is a mention of its own.
    let r = one("ytdt_comments.csv");
    assert_eq!((r.file.tool.as_str(), r.file.counts.rejected, r.duplicates), ("youtube_data_tools", 0, 0));
    let m = &r.mentions;
    assert_eq!(m.len(), 2);
    assert_eq!(utc(&m[0]), "2025-02-26T22:14:17Z");
    assert_eq!(m[0].channel, Channel::Youtube);
    assert_eq!(m[0].url.as_deref(), Some("https://www.youtube.com/watch?v=aBcDeFgHiJk&lc=UgxKommentar1"));
    assert_eq!(m[1].url.as_deref(), Some("https://www.youtube.com/watch?v=aBcDeFgHiJk&lc=UgxKommentar1.Antwort1"));
    assert_eq!((m[0].author.as_deref(), m[0].engagement), (Some("kunde_eins"), Some(5)));

    // Facepager (Facebook preset): `;`, BOM, the post's `created_time`, not `query_time`
    // (when it was fetched).
    let r = one("facepager_facebook.csv");
    assert_eq!((r.file.tool.as_str(), r.file.delimiter.as_deref(), r.file.bom), ("facepager_facebook", Some(";"), true));
    let m = &r.mentions;
    assert_eq!(utc(&m[0]), "2024-10-31T22:52:40Z");
    assert_eq!(utc(&m[1]), "2024-10-30T07:15:00Z");
    assert_eq!(m[0].channel, Channel::Facebook);
    assert_eq!(m[0].url.as_deref(), Some("https://www.facebook.com/100200300_400500600"));
    assert_eq!((m[0].vendor_id.as_deref(), m[0].author.as_deref()), (Some("100200300_400500600"), Some("Auerhahn Maschinenbau")));
}

/// A minimal XLSX workbook at `path`: one sheet of inline-string cells, `None` rows empty
/// (not written), as Brandwatch's Apache-POI export writes text cells.
fn xlsx_of(path: &std::path::Path, sheet: &str, rows: &[Option<Vec<&str>>]) {
    use std::io::Write;
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let col = |mut i: usize| {
        let mut name = Vec::new();
        i += 1;
        while i > 0 {
            name.push(b'A' + ((i - 1) % 26) as u8);
            i = (i - 1) / 26;
        }
        name.reverse();
        String::from_utf8(name).unwrap()
    };
    let mut data = String::new();
    for (r, row) in rows.iter().enumerate() {
        let Some(cells) = row else { continue };
        data += &format!("<row r=\"{}\">", r + 1);
        for (c, v) in cells.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
            data += &format!("<c r=\"{}{}\" t=\"inlineStr\"><is><t>{}</t></is></c>", col(c), r + 1, esc(v));
        }
        data += "</row>";
    }
    let files = [
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string()),
        ("xl/workbook.xml", format!(r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>"#)),
        ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string()),
        ("xl/worksheets/sheet1.xml", format!(r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{data}</sheetData></worksheet>"#)),
    ];
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, text) in files {
        w.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(text.as_bytes()).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn brandwatch_bulk_mentions_xlsx_of_the_x_era() {
    // Sheet0; rows 1-5 the report's labels, row 6 empty, the header on row 7 (X-era names:
    // `Mention Id`, `Unified Source Name`, `X Likes` …); dates as text, UTC.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Bulk Mentions Download.xlsx");
    let header = vec![
        "Query Id",
        "Query Name",
        "Date",
        "Mention Id",
        "Resource Id",
        "Url",
        "Original Url",
        "Page Type",
        "Content Source Name",
        "Unified Source Name",
        "Language",
        "Sentiment",
        "Title",
        "Snippet",
        "Full Text",
        "Author",
        "Full Name",
        "Updated",
        "Added",
        "Likes",
        "Comments",
        "Shares",
        "Impressions",
        "X Author ID",
        "X Followers",
        "Hashtags",
        "Checked",
        "X Verified",
        "X Likes",
        "X Reposts",
        "X Replies",
        "Reach (new)",
        "Has Full Text",
    ];
    let row = |date: &'static str, id: &'static str, text: &'static str, sentiment: &'static str, likes: &'static str| -> Vec<&'static str> {
        vec![
            "2001234567",
            "Auerhahn - Marke",
            date,
            id,
            id,
            "",
            "",
            "twitter",
            "X",
            "X",
            "de",
            sentiment,
            "",
            text,
            text,
            "fraese_fan",
            "Fräsen Fan",
            "2025-11-03T19:00:00.000+0000",
            "2025-11-03T19:00:00.000+0000",
            "",
            "",
            "",
            "5400",
            "",
            "1200",
            "",
            "false",
            "",
            likes,
            "2",
            "1",
            "3100",
            "true",
        ]
    };
    let url_row = |mut r: Vec<&'static str>, url: &'static str| {
        r[5] = url;
        r
    };
    xlsx_of(
        &path,
        "Sheet0",
        &[
            Some(vec!["Report:", "Bulk Mentions Download"]),
            Some(vec!["Brand:", "Auerhahn - Marke"]),
            Some(vec!["From:", "2025-11-01T00:00:00.000Z"]),
            Some(vec!["To:", "2025-11-30T23:59:59.000Z"]),
            Some(vec!["Label:", "Alle"]),
            None,
            Some(header),
            Some(url_row(
                row("2025-11-03 18:25:21.000", "1985000000000000011", "Die neue Fräse ist der Hammer", "positive", "10"),
                "https://x.com/fraese_fan/status/1985000000000000011",
            )),
            Some(url_row(
                row("2025-11-30 23:30:00.000", "1985000000000000012", "Lieferung wieder verspätet", "negative", "0"),
                "https://x.com/fraese_fan/status/1985000000000000012",
            )),
        ],
    );
    let r = read(&[path]).pop().unwrap();
    assert_eq!((r.file.tool.as_str(), r.file.header_line, r.file.counts.rejected), ("brandwatch", 7, 0), "{:?}", r.rejects);
    let m = &r.mentions;
    assert_eq!(m.len(), 2);
    assert_eq!(utc(&m[0]), "2025-11-03T18:25:21Z", "Brandwatch dates are UTC");
    assert_eq!(utc(&m[1]), "2025-11-30T23:30:00Z", "still November in UTC (December in Berlin: the report's business)");
    assert_eq!((m[0].channel, m[0].tool_sentiment, m[1].tool_sentiment), (Channel::Twitter, ToolSentiment::Positive, ToolSentiment::Negative));
    assert_eq!(m[0].engagement, Some(13), "X Likes + Reposts + Replies");
    assert_eq!(m[0].reach, Some(3100), "Reach (new) first");
    assert_eq!(m[0].vendor_id.as_deref(), Some("1985000000000000011"));
    assert_eq!(m[0].url.as_deref(), Some("https://x.com/fraese_fan/status/1985000000000000011"));
}
