//! `report.html`: one self-contained page (inline CSS and SVG, no script, no network) for
//! the latest period of the tables: headline numbers with deltas, sentiment trend, volume
//! by channel, topics × sentiment, top complaints with examples, vendor agreement and data
//! quality. German labels by default, English with `--lang en`. Template: `report.html.j2`
//! (minijinja, HTML auto-escaping); charts are built here as SVG strings from numbers and
//! escaped labels.

use polars::prelude::*;
use serde::Serialize;

use crate::aggregate::Tables;
use crate::ingest::FileReport;

const TEMPLATE: &str = include_str!("report.html.j2");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    De,
    En,
}

/// Everything the page shows besides the tables.
pub struct Context<'a> {
    pub files: &'a [FileReport],
    /// Reject reasons with their counts, most frequent first.
    pub reasons: Vec<(String, u64)>,
    pub model_version: String,
    pub lang: Lang,
    /// How the sentiment classifier scored on corpora it never saw (the intervals' basis).
    pub sentiment_measured: Option<crate::classify::stacked::Measured>,
    /// The mentions it scored by one training corpus's own model, when it routes.
    pub routed: Option<crate::aggregate::Routed>,
}

fn labels(lang: Lang) -> serde_json::Value {
    let pairs: &[(&str, &str, &str)] = &[
        ("title", "Resonanz-Bericht", "Resonance report"),
        ("generated_from", "Aus", "From"),
        ("files", "Exportdateien", "export files"),
        ("models", "Modelle", "Models"),
        ("mentions", "Erwähnungen", "mentions"),
        ("net_sentiment", "Netto-Stimmung", "Net sentiment"),
        ("positive", "positiv", "positive"),
        ("neutral", "neutral", "neutral"),
        ("negative", "negativ", "negative"),
        ("positive_share", "Anteil positiv", "Positive share"),
        ("reliability", "Wie verlässlich die Stimmung ist: auf {n} Textsammlungen gemessen, die der Klassifikator beim Training nicht gesehen hatte ({corpora}), traf er {acc_lo}–{acc_hi} % der Stimmungen; seine Anteile lagen dort im Mittel um {neg} Prozentpunkte (negativ) und {pos} Prozentpunkte (positiv) daneben. Die ± bei den Anteilen enthalten diesen Fehler und den Zufallsfehler der Anzahl.", "How reliable the sentiment is: measured on {n} text collections the classifier had not seen in training ({corpora}), it got {acc_lo}–{acc_hi} % of sentiments right; its shares there were off by {neg} percentage points (negative) and {pos} (positive) on average. The ± on the shares include this error and the sampling error of the count."),
        ("relevance_rules", "Relevanz nach den Regeln in report.toml [relevance] (Markennamen, Produkte, Konten, Ausschlüsse): {rel} von {n} Erwähnungen im Zeitraum betreffen die Marke.", "Relevance by the rules in report.toml [relevance] (brand names, products, accounts, exclusions): {rel} of {n} mentions in the period are about the brand."),
        ("relevance_model", "Relevanz nach einem Relevanzmodell: {rel} von {n} Erwähnungen im Zeitraum betreffen die Marke.", "Relevance by a relevance model: {rel} of {n} mentions in the period are about the brand."),
        ("relevance_unchecked", "Relevanz wurde nicht geprüft: alle Erwähnungen zählen (Markennamen, Produkte und Ausschlüsse: report.toml [relevance]; ein eigenes Relevanzmodell: --relevance-model).", "Relevance was not checked: every mention counts (brand names, products and exclusions: report.toml [relevance]; a relevance model of your own: --relevance-model)."),
        ("reliability_own", "Wie verlässlich die Stimmung ist: das Modell ist an {n} eigene gelabelte Erwähnungen angepasst; per Kreuzvalidierung darauf ({corpora}) traf es {acc_lo} % der Stimmungen, seine Anteile lagen um {neg} Prozentpunkte (negativ) und {pos} Prozentpunkte (positiv) daneben. Die ± bei den Anteilen enthalten diesen Fehler und den Zufallsfehler der Anzahl.", "How reliable the sentiment is: the model is adapted to {n} labelled mentions of your own; cross-validated on them ({corpora}) it got {acc_lo} % of sentiments right, and its shares were off by {neg} percentage points (negative) and {pos} (positive). The ± on the shares include this error and the sampling error of the count."),
        ("routed", "{r} Erwähnungen dieses Laufs glichen in Art und Thema der Trainingssammlung „{corpus}“ und wurden von deren eigenem Modell bewertet (Modellkarte: Routing).", "{r} mentions of this run resembled the training collection “{corpus}” in kind and subject and were scored by its own model (model card: routing)."),
        ("reliability_unmeasured", "Die Stimmung stammt von einem Klassifikator ohne Messung auf fremden Daten: Anteile ohne Fehlerspanne.", "The sentiment comes from a classifier not measured on unseen data: shares without an error margin."),
        ("negative_share", "Anteil negativ", "Negative share"),
        ("reach", "Reichweite (brutto)", "Reach (gross)"),
        ("engagement", "Engagement", "Engagement"),
        ("vs_previous", "ggü. Vorperiode", "vs previous period"),
        ("no_previous", "keine Vorperiode", "no previous period"),
        ("net_note", "Netto-Stimmung = (positiv − negativ) ÷ klassifizierte Erwähnungen, neutral im Nenner; Anteile ebenso über die klassifizierten. Reichweite ist brutto: Publikum überschneidet sich. Formeln: metrics.md.", "Net sentiment = (positive − negative) ÷ classified mentions, neutral in the denominator; shares over the classified ones too. Reach is gross: audiences overlap. Formulas: metrics.md."),
        ("unclassified", "{u} von {n} Erwähnungen im Zeitraum sind nicht klassifiziert (Sprache ohne Stimmungsklassifikator: {langs}) und zählen in keinem Stimmungsanteil.", "{u} of {n} mentions in the period are not classified (a language without a sentiment classifier: {langs}) and count in no sentiment share."),
        ("all_classified", "Alle Erwähnungen im Zeitraum sind klassifiziert.", "Every mention in the period is classified."),
        ("by_channel_group", "Kanalgruppen", "Channel groups"),
        ("channel_group", "Kanalgruppe", "Channel group"),
        ("by_language", "Sprachen", "Languages"),
        ("language", "Sprache", "Language"),
        ("classified", "klassifiziert", "classified"),
        ("unclassified_col", "nicht klassifiziert", "not classified"),
        ("detected", "erkannt (nicht vom Tool)", "detected (not from the tool)"),
        ("language_note", "Sprache aus dem Export, sonst aus dem Text erkannt; „und“: zu wenig Text (wie Deutsch bewertet, reine Emoji-Texte nach ihren Emoji). Kanalgruppen: report.toml [channel_groups].", "Language from the export, else detected from the text; “und”: too little text (scored as German, emoji-only texts by their emoji). Channel groups: report.toml [channel_groups]."),
        ("trend", "Stimmungsverlauf", "Sentiment trend"),
        ("period", "Periode", "Period"),
        ("by_channel", "Volumen nach Kanal", "Volume by channel"),
        ("by_topic", "Themen und Stimmung", "Topics and sentiment"),
        ("topic", "Thema", "Topic"),
        ("top_terms", "Häufigste Begriffe", "Top terms"),
        ("complaint_terms", "häufigste Begriffe", "top terms"),
        ("complaints", "Top-Beschwerden", "Top complaints"),
        ("negative_mentions", "negative Erwähnungen", "negative mentions"),
        ("no_complaints", "Keine negativen Erwähnungen mit Thema in dieser Periode.", "No negative mentions with a topic in this period."),
        ("link", "Link", "link"),
        ("agreement", "Unsere Stimmung und die des Tools", "Our sentiment and the tool's"),
        ("tool", "Tool", "Tool"),
        ("rated_by_both", "von beiden bewertet", "rated by both"),
        ("agreeing", "übereinstimmend", "agreeing"),
        ("agreement_rate", "Übereinstimmung", "Agreement"),
        ("agreement_note", "Alle Perioden. Wo die Übereinstimmung niedrig ist, lohnt ein Blick auf Beispiele: Tool-Stimmung ist oft grob.", "All periods. Where agreement is low, look at examples: vendor sentiment is often coarse."),
        ("quality", "Datenqualität", "Data quality"),
        ("roi", "Kosten je Ergebnis", "Cost per result"),
        ("channel", "Kanal", "Channel"),
        ("cost", "Kosten", "Cost"),
        ("per_mention", "je Erwähnung", "per mention"),
        ("per_engagement", "je Interaktion", "per engagement"),
        ("per_positive", "je positiver Erwähnung", "per positive mention"),
        ("emv", "Medienwert (Schätzung)", "Media value (estimate)"),
        ("roi_note", "Medienwert nur mit vom Nutzer gesetzten Raten, und nur als Schätzung: ein Anzeigenwert ist nicht der Wert von Kommunikation (Barcelona Principles 3.0).", "Media value only with rates the user set, and only as an estimate: an advertising equivalent is not the value of communication (Barcelona Principles 3.0)."),
        ("no_roi", "Keine Kosten konfiguriert (report.toml, [roi]).", "No costs configured (report.toml, [roi])."),
        ("rows_in", "Zeilen gelesen", "rows in"),
        ("duplicates", "Duplikate", "duplicates"),
        ("rejected", "abgelehnt", "rejected"),
        ("file", "Datei", "File"),
        ("layout", "Layout", "Layout"),
        ("encoding", "Kodierung", "Encoding"),
        ("header_line", "Kopfzeile", "Header line"),
        ("top_reasons", "Häufigste Ablehnungsgründe (Details: rejects.csv)", "Most frequent reject reasons (details: rejects.csv)"),
        ("formulas", "Alle Kennzahlen und Formeln: metrics.md; Tabellen als Parquet und CSV im selben Ordner.", "All measures and formulas: metrics.md; tables as Parquet and CSV in the same folder."),
    ];
    let m: serde_json::Map<String, serde_json::Value> =
        pairs.iter().map(|(k, de, en)| (k.to_string(), serde_json::Value::from(if lang == Lang::De { *de } else { *en }))).collect();
    serde_json::Value::Object(m)
}

/// A reject reason's kind ([`crate::ingest::RejectReason::kind`]) in words; an unknown kind
/// (from the parts of another build) as it is.
fn reason_label(kind: &str, lang: Lang) -> &str {
    let (de, en) = match kind {
        "file_not_read" => ("Datei nicht lesbar", "file not read"),
        "reading_stopped" => ("Lesen abgebrochen", "reading stopped"),
        "field_count" => ("Spaltenzahl weicht vom Kopf ab", "field count differs from the header"),
        "text_empty" => ("Text leer", "text is empty"),
        "date_empty" => ("Datum leer", "date is empty"),
        "date_unrecognised" => ("Datum in keinem bekannten Format", "date is in no known format"),
        "date_does_not_exist" => ("Datum existiert nicht", "date does not exist"),
        "date_out_of_window" => ("Datum außerhalb des plausiblen Zeitraums", "date outside the plausible window"),
        "unclosed_quote" => ("Anführungszeichen nie geschlossen", "quote never closed"),
        other => return other,
    };
    if lang == Lang::De {
        de
    } else {
        en
    }
}

fn int(n: i64, lang: Lang) -> String {
    let digits = n.unsigned_abs().to_string();
    let sep = if lang == Lang::De { '.' } else { ',' };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(sep);
        }
        out.push(c);
    }
    if n < 0 {
        format!("−{out}")
    } else {
        out
    }
}

fn dec(x: f64, places: usize, lang: Lang) -> String {
    let s = format!("{:.*}", places, x.abs());
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    let whole = int(whole.parse::<i64>().unwrap_or(0), lang);
    let s = match (frac.is_empty(), lang) {
        (true, _) => whole,
        (false, Lang::De) => format!("{whole},{frac}"),
        (false, Lang::En) => format!("{whole}.{frac}"),
    };
    if x < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("−{s}")
    } else {
        s
    }
}

fn pct(x: f64, lang: Lang) -> String {
    format!("{} %", dec(x * 100.0, 1, lang))
}

fn signed(s: String, negative: bool) -> String {
    if negative || s.starts_with('−') {
        s
    } else {
        format!("+{s}")
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

struct Col<'a>(&'a DataFrame);

impl Col<'_> {
    fn u(&self, c: &str) -> Vec<i64> {
        self.0
            .column(c)
            .ok()
            .and_then(|s| s.cast(&DataType::Int64).ok())
            .map(|s| s.i64().map(|a| a.iter().map(|v| v.unwrap_or(0)).collect()).unwrap_or_default())
            .unwrap_or_default()
    }
    fn f(&self, c: &str) -> Vec<Option<f64>> {
        self.0.column(c).ok().and_then(|s| s.cast(&DataType::Float64).ok()).map(|s| s.f64().map(|a| a.iter().collect()).unwrap_or_default()).unwrap_or_default()
    }
    fn s(&self, c: &str) -> Vec<String> {
        self.0.column(c).ok().and_then(|s| s.str().ok().map(|a| a.iter().map(|v| v.unwrap_or("").to_string()).collect())).unwrap_or_default()
    }
}

#[derive(Serialize)]
struct Card {
    id: &'static str,
    label: String,
    value: String,
    delta: String,
}

/// Renders the page for the last period of `tables`.
pub fn render(tables: &Tables, roi: Option<&DataFrame>, ctx: &Context) -> Result<String, minijinja::Error> {
    let lang = ctx.lang;
    let t = labels(lang);
    let label = |k: &str| t[k].as_str().unwrap_or(k).to_string();
    let p = Col(&tables.by_period);
    let periods = p.s("period");
    let last = periods.len().saturating_sub(1);
    let period = periods.get(last).cloned().unwrap_or_default();
    let (mentions, pos, neu, neg) = (p.u("mentions"), p.u("positive"), p.u("neutral"), p.u("negative"));
    let (reach, engagement, net) = (p.u("reach_gross"), p.u("engagement"), p.f("net_sentiment"));
    let (pos_share, neg_share) = (p.f("positive_share"), p.f("negative_share"));
    let has_pm = tables.by_period.column("positive_share_pm").is_ok();
    let (pos_pm, neg_pm) = if has_pm { (p.f("positive_share_pm"), p.f("negative_share_pm")) } else { (Vec::new(), Vec::new()) };
    let with_pm = |share: f64, pm: &Vec<Option<f64>>, i: usize| match pm.get(i).copied().flatten() {
        Some(e) => format!("{} (±{} pp)", pct(share, lang), dec(e * 100.0, 1, lang)),
        None => pct(share, lang),
    };
    let reliability = match &ctx.sentiment_measured {
        Some(m) => label(if m.own_labels.is_some() { "reliability_own" } else { "reliability" })
            .replace("{n}", &m.own_labels.unwrap_or(m.corpora.len()).to_string())
            .replace("{corpora}", &m.corpora.join(", "))
            .replace("{acc_lo}", &dec(m.accuracy[0] * 100.0, 0, lang))
            .replace("{acc_hi}", &dec(m.accuracy[1] * 100.0, 0, lang))
            .replace("{neg}", &dec(m.share_error_pp[0], 1, lang))
            .replace("{pos}", &dec(m.share_error_pp[2], 1, lang)),
        None => label("reliability_unmeasured"),
    };
    let reliability = match ctx.routed.as_ref().filter(|r| r.mentions > 0) {
        Some(r) => format!(
            "{reliability} {}",
            label("routed").replace("{r}", &int(i64::try_from(r.mentions).unwrap_or(i64::MAX), lang)).replace("{corpus}", &r.corpus)
        ),
        None => reliability,
    };
    let relevant = p.u("relevant");
    let checked = |key: &str| {
        label(key).replace("{rel}", &int(relevant.get(last).copied().unwrap_or(0), lang)).replace("{n}", &int(mentions.get(last).copied().unwrap_or(0), lang))
    };
    let reliability = if ctx.model_version.contains("relevance=rules") {
        format!("{reliability} {}", checked("relevance_rules"))
    } else if ctx.model_version.contains("relevance=") {
        format!("{reliability} {}", checked("relevance_model"))
    } else {
        format!("{reliability} {}", label("relevance_unchecked"))
    };
    let at = |v: &Vec<i64>, i: usize| v.get(i).copied().unwrap_or(0);
    let atf = |v: &Vec<Option<f64>>, i: usize| v.get(i).copied().flatten().unwrap_or(0.0);
    let has_prev = last > 0 && !periods.is_empty();
    let delta_int = |v: &Vec<i64>| {
        if has_prev {
            let d = at(v, last) - at(v, last - 1);
            format!("{} {}", signed(int(d, lang), d < 0), label("vs_previous"))
        } else {
            label("no_previous")
        }
    };
    let delta_f = |v: &Vec<Option<f64>>, scale: f64, unit: &str| {
        if has_prev {
            let d = (atf(v, last) - atf(v, last - 1)) * scale;
            format!("{}{unit} {}", signed(dec(d, if scale > 1.0 { 1 } else { 2 }, lang), d < 0.0), label("vs_previous"))
        } else {
            label("no_previous")
        }
    };
    let cards = vec![
        Card { id: "mentions", label: label("mentions"), value: int(at(&mentions, last), lang), delta: delta_int(&mentions) },
        Card { id: "net", label: label("net_sentiment"), value: signed(dec(atf(&net, last), 2, lang), atf(&net, last) < 0.0), delta: delta_f(&net, 1.0, "") },
        Card { id: "positive", label: label("positive_share"), value: with_pm(atf(&pos_share, last), &pos_pm, last), delta: delta_f(&pos_share, 100.0, " pp") },
        Card { id: "negative", label: label("negative_share"), value: with_pm(atf(&neg_share, last), &neg_pm, last), delta: delta_f(&neg_share, 100.0, " pp") },
        Card { id: "reach", label: label("reach"), value: int(at(&reach, last), lang), delta: delta_int(&reach) },
        Card { id: "engagement", label: label("engagement"), value: int(at(&engagement, last), lang), delta: delta_int(&engagement) },
    ];
    let period_rows: Vec<serde_json::Value> = (0..periods.len())
        .map(|i| {
            serde_json::json!({
                "period": periods[i], "mentions": int(at(&mentions, i), lang), "positive": int(at(&pos, i), lang),
                "neutral": int(at(&neu, i), lang), "negative": int(at(&neg, i), lang),
                "net": signed(dec(atf(&net, i), 2, lang), atf(&net, i) < 0.0),
                "reach": int(at(&reach, i), lang), "engagement": int(at(&engagement, i), lang),
            })
        })
        .collect();
    let trend = trend_svg(&periods, &pos, &neu, &neg);

    let c = Col(&tables.by_channel);
    let (cp, cc, cm) = (c.s("period"), c.s("channel"), c.u("mentions"));
    let mut channels: Vec<(String, i64)> = (0..cp.len()).filter(|&i| cp[i] == period).map(|i| (cc[i].clone(), cm[i])).collect();
    channels.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let channel_svg = bars_svg(&channels, lang);

    let g = Col(&tables.by_channel_group);
    let (gp, gg, gm, gc, gpos, gneg, gnet) =
        (g.s("period"), g.s("channel_group"), g.u("mentions"), g.u("classified"), g.f("positive_share"), g.f("negative_share"), g.f("net_sentiment"));
    let mut group_idx: Vec<usize> = (0..gp.len()).filter(|&i| gp[i] == period).collect();
    group_idx.sort_by(|&a, &b| gm[b].cmp(&gm[a]).then(gg[a].cmp(&gg[b])));
    let groups: Vec<serde_json::Value> = group_idx
        .iter()
        .map(|&i| serde_json::json!({"group": gg[i], "mentions": int(gm[i], lang), "classified": int(gc[i], lang), "positive_share": pct(atf(&gpos, i), lang), "negative_share": pct(atf(&gneg, i), lang), "net": signed(dec(atf(&gnet, i), 2, lang), atf(&gnet, i) < 0.0)}))
        .collect();

    let l = Col(&tables.by_language);
    let (lp, ll, lm, lc, lu, ld) = (l.s("period"), l.s("language"), l.u("mentions"), l.u("classified"), l.u("unclassified"), l.u("detected"));
    let mut lang_idx: Vec<usize> = (0..lp.len()).filter(|&i| lp[i] == period).collect();
    lang_idx.sort_by(|&a, &b| lm[b].cmp(&lm[a]).then(ll[a].cmp(&ll[b])));
    let languages: Vec<serde_json::Value> = lang_idx
        .iter()
        .map(|&i| serde_json::json!({"language": ll[i], "mentions": int(lm[i], lang), "classified": int(lc[i], lang), "unclassified": int(lu[i], lang), "detected": int(ld[i], lang)}))
        .collect();
    let unclassified: i64 = lang_idx.iter().map(|&i| lu[i]).sum();
    let unclassified_note = if unclassified == 0 {
        label("all_classified")
    } else {
        let langs: Vec<String> = lang_idx.iter().filter(|&&i| lu[i] > 0).map(|&i| format!("{} {}", ll[i], int(lu[i], lang))).collect();
        label("unclassified")
            .replace("{u}", &int(unclassified, lang))
            .replace("{n}", &int(mentions.get(last).copied().unwrap_or(0), lang))
            .replace("{langs}", &langs.join(", "))
    };

    let tp = Col(&tables.by_topic);
    let (tpp, tpt, tpm, tpos, tneu, tneg, tns, tpw) =
        (tp.s("period"), tp.s("topic"), tp.u("mentions"), tp.u("positive"), tp.u("neutral"), tp.u("negative"), tp.f("negative_share"), tp.s("top_terms"));
    let mut topic_idx: Vec<usize> = (0..tpp.len()).filter(|&i| tpp[i] == period).collect();
    topic_idx.sort_by(|&a, &b| tpm[b].cmp(&tpm[a]).then(tpt[a].cmp(&tpt[b])));
    let topics: Vec<serde_json::Value> = topic_idx
        .iter()
        .map(|&i| serde_json::json!({"topic": tpt[i], "mentions": int(tpm[i], lang), "positive": int(tpos[i], lang), "neutral": int(tneu[i], lang), "negative": int(tneg[i], lang), "negative_share": pct(atf(&tns, i), lang), "terms": tpw.get(i)}))
        .collect();

    let k = Col(&tables.top_complaints);
    let (kp, kr, kt, kn, kd, kc, ku, kx) =
        (k.s("period"), k.u("rank"), k.s("topic"), k.u("negative_mentions"), k.s("published_at"), k.s("channel"), k.s("url"), k.s("text"));
    let kw = k.s("top_terms");
    let mut complaint_rows: Vec<serde_json::Value> = Vec::new();
    for i in (0..kp.len()).filter(|&i| kp[i] == period) {
        let example = serde_json::json!({"text": kx[i], "channel": kc[i], "published_at": kd[i], "url": link(&ku[i])});
        match complaint_rows.last_mut() {
            Some(last) if last["rank"] == kr[i] => last["examples"].as_array_mut().map(|a| a.push(example)).unwrap_or(()),
            _ => complaint_rows.push(serde_json::json!({"rank": kr[i], "topic": kt[i], "count": int(kn[i], lang), "terms": kw.get(i), "examples": [example]})),
        }
    }

    let a = Col(&tables.classifier_agreement);
    let (at_, aa, ar, arate) = (a.s("source_tool"), a.u("agreeing"), a.u("rated_by_both"), a.f("agreement_rate"));
    let mut agreement: Vec<serde_json::Value> = Vec::new();
    for i in 0..at_.len() {
        if agreement.last().is_some_and(|l| l["tool"] == at_[i]) {
            continue;
        }
        let rate = arate.get(i).copied().flatten().map_or("–".to_string(), |r| pct(r, lang));
        agreement.push(serde_json::json!({"tool": at_[i], "rated": int(ar[i], lang), "agreeing": int(aa[i], lang), "rate": rate}));
    }

    let roi_rows: Vec<serde_json::Value> = match roi {
        Some(df) => {
            let r = Col(df);
            let (rp, rc, cur, cost, m, cpm, cpe, cpp, emv) = (
                r.s("period"),
                r.s("channel"),
                r.s("currency"),
                r.f("cost"),
                r.u("mentions"),
                r.f("cost_per_mention"),
                r.f("cost_per_engagement"),
                r.f("cost_per_positive"),
                r.f("emv_estimate"),
            );
            let money = |v: Option<f64>, i: usize| v.map_or("–".to_string(), |x| format!("{} {}", dec(x, 2, lang), cur[i]));
            (0..rp.len())
                .filter(|&i| rp[i] == period)
                .map(|i| {
                    serde_json::json!({
                        "channel": rc[i], "cost": money(cost[i], i), "mentions": int(m[i], lang),
                        "per_mention": money(cpm[i], i), "per_engagement": money(cpe[i], i), "per_positive": money(cpp[i], i),
                        "emv": money(emv[i], i),
                    })
                })
                .collect()
        }
        None => Vec::new(),
    };

    let sum = |f: fn(&FileReport) -> u64| ctx.files.iter().map(f).sum::<u64>() as i64;
    let quality = serde_json::json!({
        "rows_in": int(sum(|f| f.counts.rows_in), lang), "mentions": int(sum(|f| f.counts.mentions), lang),
        "duplicates": int(sum(|f| f.counts.duplicates), lang), "rejected": int(sum(|f| f.counts.rejected), lang),
        "files": ctx.files.iter().map(|f| serde_json::json!({
            "path": f.path, "tool": f.error.as_deref().map_or(f.tool.clone(), |e| format!("– ({e})")),
            "encoding": f.encoding.map_or("–", |e| e.as_str()), "header_line": f.header_line,
            "rows_in": int(f.counts.rows_in as i64, lang), "mentions": int(f.counts.mentions as i64, lang),
            "duplicates": int(f.counts.duplicates as i64, lang), "rejected": int(f.counts.rejected as i64, lang),
        })).collect::<Vec<_>>(),
        "reasons": ctx.reasons.iter().take(5).map(|(r, n)| serde_json::json!({"reason": reason_label(r, lang), "count": int(*n as i64, lang)})).collect::<Vec<_>>(),
    });

    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.add_template("report.html", TEMPLATE)?;
    env.get_template("report.html")?.render(minijinja::context! {
        lang => if lang == Lang::De { "de" } else { "en" },
        t => t,
        period => period,
        model_version => ctx.model_version,
        models => describe_models(&ctx.model_version, lang),
        reliability => reliability,
        cards => cards,
        periods => period_rows,
        trend_svg => minijinja::Value::from_safe_string(trend),
        channel_svg => minijinja::Value::from_safe_string(channel_svg),
        groups => groups,
        languages => languages,
        unclassified_note => unclassified_note,
        topics => topics,
        complaints => complaint_rows,
        agreement => agreement,
        roi => roi_rows,
        roi_configured => roi.is_some(),
        quality => quality,
    })
}

/// The classifiers of a run in words an analyst reads (`model_version` stays beside it for
/// whoever needs the exact spec).
pub fn describe_models(model_version: &str, lang: Lang) -> String {
    let de = lang == Lang::De;
    let w = |d: &str, e: &str| if de { d.to_string() } else { e.to_string() };
    let mut parts = Vec::new();
    let mut relevance = None;
    for (key, value) in model_version.split(';').filter_map(|p| p.split_once('=')) {
        match key {
            "sentiment" => {
                let (model, rest) = value.split_once(':').unwrap_or((value, ""));
                let what = if value.starts_with("lexicon-de#") || value.starts_with("lexicon:") {
                    w("Stimmungslexikon", "sentiment lexicon")
                } else if model == "models/sentiment" {
                    w("mitgeliefertes allgemeines Stimmungsmodell", "shipped general sentiment model")
                } else {
                    format!("{} {model}", w("eigenes Stimmungsmodell", "own sentiment model"))
                };
                let with = if rest.contains("lexicon") { w(" mit Lexikon", " with lexicon") } else { String::new() };
                parts.push(format!("{}: {what}{with}", w("Stimmung", "Sentiment")));
            }
            "relevance" => {
                let mut how = Vec::new();
                for v in value.split('&') {
                    how.push(if v.starts_with("rules:") {
                        w("Regeln aus report.toml [relevance]", "rules from report.toml [relevance]")
                    } else if v.starts_with("models/relevance:") {
                        w("GermEval-Bahnmodell", "GermEval rail model")
                    } else {
                        format!("{} {}", w("eigenes Relevanzmodell", "own relevance model"), v.split(':').next().unwrap_or(v))
                    });
                }
                relevance = Some(how.join(w(" und ", " and ").as_str()));
            }
            "topics" => {
                let names: Vec<String> = value
                    .split('+')
                    .map(|t| match t.strip_prefix("taxonomy:") {
                        Some("mittelstand") => w("Mittelstand-Taxonomie", "Mittelstand taxonomy"),
                        Some(path) => format!("{} {path}", w("eigene Taxonomie", "own taxonomy")),
                        None => format!("{} {}", w("Themenmodell", "topic model"), t.split(':').next().unwrap_or(t)),
                    })
                    .collect();
                parts.push(format!("{}: {}", w("Themen", "Topics"), names.join(" + ")));
            }
            _ => {}
        }
    }
    parts.insert(1.min(parts.len()), format!("{}: {}", w("Relevanz", "Relevance"), relevance.unwrap_or_else(|| w("nicht geprüft", "not checked"))));
    parts.join(" · ")
}

/// Stacked bars per period: positive (bottom), neutral, negative.
fn trend_svg(periods: &[String], pos: &[i64], neu: &[i64], neg: &[i64]) -> String {
    let (w, h, base) = (960.0f64, 220.0f64, 190.0f64);
    let n = periods.len().max(1) as f64;
    let max = (0..periods.len()).map(|i| pos[i] + neu[i] + neg[i]).max().unwrap_or(0).max(1) as f64;
    let slot = w / n;
    let bw = (slot * 0.6).min(60.0);
    let mut s = format!(r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="trend">"##);
    for (i, p) in periods.iter().enumerate() {
        let x = slot * i as f64 + (slot - bw) / 2.0;
        let mut y = base;
        for (v, color) in [(pos[i], "#2e7d32"), (neu[i], "#9aa5b1"), (neg[i], "#c62828")] {
            let bh = v as f64 / max * 170.0;
            y -= bh;
            s += &format!(r##"<rect x="{x:.1}" y="{y:.1}" width="{bw:.1}" height="{bh:.1}" fill="{color}"><title>{v}</title></rect>"##);
        }
        let total = pos[i] + neu[i] + neg[i];
        s += &format!(r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#334e68">{total}</text>"##, x + bw / 2.0, y - 4.0);
        s += &format!(r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#627d98">{}</text>"##, x + bw / 2.0, base + 16.0, esc(p));
    }
    s + "</svg>"
}

/// Horizontal bars with labels and counts.
fn bars_svg(rows: &[(String, i64)], lang: Lang) -> String {
    let h = 22.0 * rows.len() as f64 + 4.0;
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1) as f64;
    let mut s = format!(r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 960 {h}" width="100%" role="img" aria-label="channels">"##);
    for (i, (name, v)) in rows.iter().enumerate() {
        let y = 22.0 * i as f64 + 2.0;
        let bw = *v as f64 / max * 700.0;
        s += &format!(r##"<text x="130" y="{:.1}" font-size="12" text-anchor="end" fill="#334e68">{}</text>"##, y + 14.0, esc(name));
        s += &format!(r##"<rect x="140" y="{y:.1}" width="{bw:.1}" height="16" fill="#486581"></rect>"##);
        s += &format!(r##"<text x="{:.1}" y="{:.1}" font-size="12" fill="#334e68">{}</text>"##, 146.0 + bw, y + 13.0, int(*v, lang));
    }
    s + "</svg>"
}

/// A mention's URL as a link target: only `http://` and `https://` (a bare `www.` host gets
/// `https://`); `javascript:`, `data:`, `vbscript:` and anything else give no link.
pub fn link(url: &str) -> Option<String> {
    let u = url.trim();
    let lower = u.get(..8).unwrap_or(u).to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        Some(u.to_string())
    } else if lower.starts_with("www.") {
        Some(format!("https://{u}"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_in_words() {
        let shipped = "sentiment=models/sentiment:sparse-logistic+lexicon:stacked;topics=taxonomy:mittelstand";
        assert_eq!(
            describe_models(shipped, Lang::De),
            "Stimmung: mitgeliefertes allgemeines Stimmungsmodell mit Lexikon · Relevanz: nicht geprüft · Themen: Mittelstand-Taxonomie"
        );
        let own = "sentiment=models/mine:sparse-logistic+lexicon:stacked;relevance=rules:3 terms, 1 exclusions&models/rel:sparse-logistic;topics=taxonomy:mittelstand+models/topic:sparse-logistic";
        assert_eq!(
            describe_models(own, Lang::En),
            "Sentiment: own sentiment model models/mine with lexicon · Relevance: rules from report.toml [relevance] and own relevance model models/rel · Topics: Mittelstand taxonomy + topic model models/topic"
        );
    }

    #[test]
    fn german_and_english_number_formats() {
        assert_eq!(int(1234567, Lang::De), "1.234.567");
        assert_eq!(int(-1234, Lang::En), "−1,234");
        assert_eq!(dec(-0.105, 2, Lang::De), "−0,10");
        assert_eq!(dec(-0.001, 2, Lang::De), "0,00");
        assert_eq!(pct(0.2053, Lang::De), "20,5 %");
        assert_eq!(dec(5179.375, 2, Lang::De), "5.179,38");
        assert_eq!(dec(1200.0, 2, Lang::En), "1,200.00");
    }
}
