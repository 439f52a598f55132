//! The consumer page (issue 15, ADR 0088): the resolver's answer to a browser at a unit's
//! Digital Link, rendered on the node from the public story (`/v1/story/{code}`) — product,
//! producer and origin, batch, customs, certificates, the trajectory on a map drawn from
//! bundled country outlines, a recall banner, the scan verdict — in English or Chinese. Every
//! essential fact is in the HTML itself: the page needs no script, no external font, tile or
//! stylesheet, and stays small (the map outline is one cached asset).

use serde_json::Value;

/// The page's language: from `?lang=` when given, else the first of `zh` / `en` in
/// `Accept-Language` (by q-value), else English.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// The language a request asks for.
    pub fn of(query: &str, accept_language: Option<&str>) -> Lang {
        for pair in query.split('&') {
            match pair {
                "lang=zh" => return Lang::Zh,
                "lang=en" => return Lang::En,
                _ => {}
            }
        }
        let mut best: Option<(f32, Lang)> = None;
        for part in accept_language.unwrap_or("").split(',') {
            let mut it = part.trim().split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|v| v.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let lang = if tag == "zh" || tag.starts_with("zh-") {
                Lang::Zh
            } else if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else {
                continue;
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::En)
    }

    fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    fn t(self, en: &'static str, zh: &'static str) -> &'static str {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }

    /// The text of this language.
    pub fn pick(self, en: &'static str, zh: &'static str) -> &'static str {
        self.t(en, zh)
    }
}

/// Whether a request's `Accept` asks for HTML (a browser), rather than JSON or anything.
pub fn wants_html(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| {
        a.split(',')
            .any(|m| m.trim().split(';').next().unwrap_or("").trim() == "text/html")
    })
}

/// The map's outline asset (Natural Earth 1:110m country outlines, equirectangular).
pub const WORLD_SVG: &str = include_str!("../assets/world-110m.svg");
/// Where the node serves it.
pub const WORLD_SVG_PATH: &str = "/assets/world-110m.svg";

/// Escape text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A time in UTC, minutes: `2026-04-20 08:00 UTC`.
fn time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = crate::civil_date(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

fn category(lang: Lang, c: &str) -> &'static str {
    match c {
        "P1" => lang.t("materials", "原辅料"),
        "P2" => lang.t("production", "生产"),
        "P3" => lang.t("product features", "产品特征"),
        "P4" | "T3" => lang.t("product code", "商品编码"),
        "T1" => lang.t("order", "订单"),
        "T2" => lang.t("payment receipt", "跨境收款"),
        "L1" => lang.t("tally", "理货"),
        "L2" => lang.t("transport", "运输"),
        "L3" => lang.t("warehousing", "仓储"),
        "L4" => lang.t("delivery", "配送"),
        "L5" => lang.t("delivery exception", "配送异常"),
        "C1" => lang.t("customs declaration", "报关"),
        "C2" => lang.t("customs status", "通关状态"),
        _ => lang.t("record", "记录"),
    }
}

fn str_of<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

const STYLE: &str = "body{font:16px/1.5 system-ui,-apple-system,'Noto Sans CJK SC','PingFang SC',sans-serif;margin:0;color:#111;background:#fff}\
main{max-width:40rem;margin:0 auto;padding:1rem}\
h1{font-size:1.5rem;margin:.25rem 0}h2{font-size:1.1rem;margin:1.5rem 0 .5rem;border-bottom:1px solid #ccc}\
.banner{padding:.75rem 1rem;border-radius:.25rem;font-weight:600;margin:.75rem 0}\
.recall{background:#8b0000;color:#fff}.warn{background:#fff3cd;color:#3d2c00;border:2px solid #7a5a00}\
.ok{background:#e6f4ea;color:#0b3d1a;border:1px solid #0b3d1a}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}\
.map{width:100%;height:auto;border:1px solid #9aa7b0;background:#f4f8fb}\
nav.lang{float:right}a{color:#0645ad}small,.muted{color:#444}\
footer{margin-top:2rem;font-size:.85rem;color:#444;overflow-wrap:anywhere}\
label{display:block;font-weight:600;margin-top:.5rem}textarea{width:100%;font:inherit}button{font:inherit;padding:.3rem .8rem}\
@media (max-width:36rem){#certificates thead{display:none}#certificates tr{display:block;border-bottom:1px solid #ccc;padding:.5rem 0}\
#certificates td{display:block;border:0;padding:.1rem 0}#certificates td::before{content:attr(data-label) \": \";font-weight:600}}";

/// The page's frame: language, title, switch to the other language at `self_path`.
pub(crate) fn frame(lang: Lang, title: &str, self_path: &str, body: &str) -> String {
    let (other, other_name) = match lang {
        Lang::En => ("zh", "中文"),
        Lang::Zh => ("en", "English"),
    };
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} · tracechain</title><style>{STYLE}</style></head><body><main>\
         <nav class=\"lang\" aria-label=\"{}\"><a href=\"{}?lang={other}\" hreflang=\"{other}\">{other_name}</a></nav>\
         {body}</main></body></html>",
        lang.code(),
        esc(title),
        lang.t("Language", "语言"),
        esc(self_path),
    )
}

/// The consumer page of a unit from its public story (the JSON of `/v1/story/{code}`, with
/// its `read_at`), for the page at `self_path`.
pub fn consumer_page(story: &Value, lang: Lang, self_path: &str) -> String {
    let unit = &story["unit"];
    let product = str_of(unit, "product_name").unwrap_or("—");
    let code = str_of(unit, "code").unwrap_or("");
    let mut b = String::new();
    b.push_str(&format!(
        "<header><p class=\"muted\">{}</p><h1 id=\"product\">{}</h1></header>",
        lang.t("Product trace", "商品溯源"),
        esc(product)
    ));
    // The recall banner first: the one thing a consumer must not miss.
    let recalled = story["recall"]["recalled"].as_bool() == Some(true);
    if recalled {
        let refs: Vec<String> = story["recall"]["recalls"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| str_of(r, "reference"))
            .map(|r| format!("<span class=\"ref\">{}</span>", esc(r)))
            .collect();
        b.push_str(&format!(
            "<div class=\"banner recall\" role=\"alert\" id=\"recall\">{} <span class=\"ref\">{}</span></div>",
            lang.t(
                "RECALLED: do not use this product. Contact the seller or the regulator.",
                "已召回：请勿使用本产品，请联系销售方或监管部门。"
            ),
            refs.join(", ")
        ));
    }
    // The scan verdict.
    let scans = &story["scans"];
    if scans.is_object() {
        let suspicious = scans["suspicious"].as_bool() == Some(true);
        let count = scans["count"].as_u64().unwrap_or(0);
        let first = scans["first_scan_ms"].as_i64().map(time);
        if suspicious {
            let why: Vec<String> = scans["why"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|w| format!("<li>{}</li>", esc(w)))
                .collect();
            b.push_str(&format!(
                "<div class=\"banner warn\" role=\"alert\" id=\"scan-warning\">{}<ul>{}</ul></div>",
                lang.t(
                    "Warning: this code's scans look suspicious — it may be copied. Why:",
                    "警告：此码的扫描记录异常，可能被复制。原因："
                ),
                why.join("")
            ));
        }
        b.push_str(&format!(
            "<section aria-labelledby=\"h-scan\"><h2 id=\"h-scan\">{}</h2><dl>\
             <dt>{}</dt><dd id=\"scan-count\">{count}</dd><dt>{}</dt><dd>{}</dd></dl></section>",
            lang.t("Scans of this code", "本码扫描"),
            lang.t("Scans", "扫描次数"),
            lang.t("First scan", "首次扫描"),
            first.unwrap_or_else(|| lang.t("this is the first", "本次为首次").to_string()),
        ));
    }
    // The browser's own check of what follows (verify.js): without JavaScript the page says
    // it was not checked; with it, the verdict replaces this text.
    b.push_str(&format!(
        "<section aria-labelledby=\"h-verify\" id=\"verify\"><h2 id=\"h-verify\">{}</h2>\
         <p class=\"banner muted\" id=\"verify-status\" role=\"status\" aria-live=\"polite\">{}</p>\
         <details><summary>{}</summary><ul id=\"verify-details\"></ul></details></section>",
        lang.t("Checked in this browser", "本浏览器核验"),
        lang.t(
            "Not checked in this browser (JavaScript is off): this page is the node's word. Check the JSON answer offline with `tracechain proof verify`.",
            "本浏览器未核验（JavaScript 已关闭）：本页内容以节点所述为准。可用 `tracechain proof verify` 离线核验 JSON 应答。"
        ),
        lang.t("What was checked", "核验内容"),
    ));
    // Product and producer.
    let producer = str_of(unit, "producer_name").unwrap_or("—");
    let origin = str_of(unit, "producer_country").unwrap_or("—");
    let batch = str_of(unit, "batch").unwrap_or(code);
    let facts = &story["product"];
    let brand = str_of(facts, "brand").unwrap_or("—");
    // The production date (the date of the production record's time) and country.
    let made = match (
        str_of(facts, "production_time"),
        str_of(facts, "production_country"),
    ) {
        (Some(t), Some(c)) => format!("{} ({})", t.get(..10).unwrap_or(t), c),
        (Some(t), None) => t.get(..10).unwrap_or(t).to_string(),
        (None, Some(c)) => c.to_string(),
        (None, None) => "—".to_string(),
    };
    b.push_str(&format!(
        "<section aria-labelledby=\"h-product\"><h2 id=\"h-product\">{}</h2><dl>\
         <dt>{}</dt><dd id=\"product-name\">{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd>\
         <dt>{}</dt><dd>{}</dd>\
         <dt>{}</dt><dd><code id=\"batch\">{}</code></dd><dt>{}</dt><dd><code id=\"code\">{}</code></dd></dl></section>",
        lang.t("Product", "产品"),
        lang.t("Product", "品名"),
        esc(product),
        lang.t("Brand", "品牌"),
        esc(brand),
        lang.t("Producer", "生产商"),
        esc(producer),
        lang.t("Origin", "原产地"),
        esc(origin),
        lang.t("Produced", "生产日期"),
        esc(&made),
        lang.t("Batch", "批次"),
        esc(batch),
        lang.t("Code", "编码"),
        esc(code),
    ));
    // Customs.
    let released_on = story["customs"]["time"]
        .as_str()
        .map(|t| t.get(..10).unwrap_or(t).to_string())
        .unwrap_or_default();
    let customs = match (
        story["customs_status_recorded"].as_bool(),
        str_of(&story["customs"], "status"),
    ) {
        (Some(true), Some("released")) => (
            "ok",
            match lang {
                Lang::En => format!("Released by customs on {} (R-C2)", esc(&released_on)),
                Lang::Zh => format!("海关已放行（{}，R-C2）", esc(&released_on)),
            },
        ),
        (Some(true), Some("held")) => (
            "warn",
            lang.t("Held by customs (R-C2)", "海关扣留（R-C2）")
                .to_string(),
        ),
        (Some(true), Some("returned")) => (
            "warn",
            lang.t("Returned by customs (R-C2)", "海关退运（R-C2）")
                .to_string(),
        ),
        (Some(true), Some(_)) => (
            "muted",
            lang.t(
                "Declared to customs, not released yet (R-C2)",
                "已向海关申报，尚未放行（R-C2）",
            )
            .to_string(),
        ),
        (Some(true), None) => (
            "muted",
            lang.t(
                "Customs status recorded (R-C2)",
                "海关通关状态已记录（R-C2）",
            )
            .to_string(),
        ),
        (Some(false), _) => (
            "warn",
            lang.t("No customs status recorded yet", "尚无海关通关状态记录")
                .to_string(),
        ),
        (None, _) => ("muted", lang.t("Not applicable", "不适用").to_string()),
    };
    b.push_str(&format!(
        "<section aria-labelledby=\"h-customs\"><h2 id=\"h-customs\">{}</h2><p class=\"banner {}\" id=\"customs\" data-recorded=\"{}\">{}</p></section>",
        lang.t("Customs", "海关"),
        customs.0,
        story["customs_status_recorded"].as_bool() == Some(true),
        customs.1
    ));
    // Certificates.
    let certs = story["certificates"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    b.push_str(&format!(
        "<section aria-labelledby=\"h-certs\"><h2 id=\"h-certs\">{}</h2>",
        lang.t("Certificates", "证书")
    ));
    if certs.is_empty() {
        b.push_str(&format!(
            "<p>{}</p>",
            lang.t("No certificate anchored.", "暂无存证证书。")
        ));
    } else {
        b.push_str(&format!(
            "<table id=\"certificates\"><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
            lang.t("Document", "文件"),
            lang.t("Issuer", "签发方"),
            lang.t("Anchored", "存证时间"),
            lang.t("Status", "状态"),
        ));
        for c in &certs {
            let code = if c["valid"].as_bool() == Some(true) {
                "valid"
            } else if c["revoked"].as_bool() == Some(true) {
                "revoked"
            } else if c["expired"].as_bool() == Some(true) {
                "expired"
            } else if c["competent"].as_bool() == Some(false) {
                "not-competent"
            } else {
                "not-valid"
            };
            let status = if c["valid"].as_bool() == Some(true) {
                lang.t(
                    "valid, issued by a competent issuer",
                    "有效，签发方具备资质",
                )
            } else if c["revoked"].as_bool() == Some(true) {
                lang.t("revoked", "已撤销")
            } else if c["expired"].as_bool() == Some(true) {
                lang.t("expired", "已过期")
            } else if c["competent"].as_bool() == Some(false) {
                lang.t(
                    "issuer not competent for this document",
                    "签发方不具备该文件资质",
                )
            } else {
                lang.t("not valid", "无效")
            };
            // What the verifier compares with the certificate's proven fact (ADR 0089).
            b.push_str(&format!(
                "<tr data-issuer=\"{}\" data-status=\"{code}\"><td data-label=\"{}\" class=\"c-type\">{}</td><td data-label=\"{}\">{}</td><td data-label=\"{}\" class=\"c-anchored\">{}</td><td data-label=\"{}\" class=\"c-status\">{}</td></tr>",
                esc(str_of(c, "issuer").unwrap_or("")),
                lang.t("Document", "文件"),
                esc(&c["type"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| c["type"].to_string())),
                lang.t("Issuer", "签发方"),
                esc(str_of(c, "issuer_name").unwrap_or("—")),
                lang.t("Anchored", "存证时间"),
                c["anchored_ms"].as_i64().map(time).unwrap_or_default(),
                lang.t("Status", "状态"),
                status
            ));
        }
        b.push_str("</tbody></table>");
    }
    if let Some(more) = story["certificates_more"].as_u64().filter(|m| *m > 0) {
        b.push_str(&format!(
            "<p class=\"muted\">{} {more}</p>",
            lang.t(
                "Further documents anchored about this product, not listed:",
                "另有关于本产品的存证文件未列出："
            )
        ));
    }
    b.push_str("</section>");
    // The trajectory: a list, and the same points on the map.
    let points = story["trajectory"]["points"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    b.push_str(&format!(
        "<section aria-labelledby=\"h-route\"><h2 id=\"h-route\">{}</h2>",
        lang.t("Journey", "物流轨迹")
    ));
    if points.is_empty() {
        b.push_str(&format!(
            "<p>{}</p>",
            lang.t("No position recorded.", "暂无位置记录。")
        ));
    } else {
        b.push_str(&map_svg(&points, lang));
        b.push_str("<ol id=\"journey\">");
        for p in &points {
            let lat = p["lat_e7"].as_i64().unwrap_or(0) as f64 / 1e7;
            let lon = p["lon_e7"].as_i64().unwrap_or(0) as f64 / 1e7;
            b.push_str(&format!(
                "<li>{} — {} <small>({lat:.2}°, {lon:.2}°)</small></li>",
                p["time_ms"].as_i64().map(time).unwrap_or_default(),
                category(lang, str_of(p, "category").unwrap_or("")),
            ));
        }
        b.push_str("</ol>");
    }
    b.push_str("</section>");
    // Where the answer was read, and how to check it without trusting this node.
    let read_at = &story["read_at"];
    b.push_str(&format!(
        "<footer><p>{} <span id=\"read-height\">{}</span> · {} <code id=\"read-block\">{}</code> · {} <code id=\"read-root\">{}</code></p><p>{} <a href=\"/v1/story/{}\">/v1/story/{}</a> {}</p></footer>",
        lang.t("Read at block", "读取区块高度"),
        read_at["height"].as_u64().unwrap_or(0),
        lang.t("block", "区块"),
        esc(str_of(read_at, "block_hash").unwrap_or("")),
        lang.t("state root", "状态根"),
        esc(str_of(read_at, "state_root").unwrap_or("")),
        lang.t("The same answer with its proofs:", "带证明的同一应答："),
        esc(code),
        esc(code),
        lang.t(
            "(check it offline with `tracechain proof verify`).",
            "（可用 `tracechain proof verify` 离线验证）。"
        ),
    ));
    // Feedback (R-S7): a record signed with the consumer's own key in this browser.
    b.push_str(&format!(
        "<section aria-labelledby=\"h-feedback\"><h2 id=\"h-feedback\">{}</h2><form id=\"feedback\">\
         <p id=\"feedback-nojs\" class=\"muted\">{}</p>\
         <label for=\"feedback-text\">{}</label><textarea id=\"feedback-text\" maxlength=\"512\" rows=\"3\" required></textarea>\
         <label for=\"feedback-key\">{}</label><input type=\"file\" id=\"feedback-key\" accept=\".key,.json,application/json\">\
         <p><button type=\"submit\" id=\"feedback-send\" disabled>{}</button></p>\
         <p id=\"feedback-out\" role=\"status\" aria-live=\"polite\"></p></form></section>",
        lang.t("Feedback", "反馈"),
        lang.t(
            "Feedback is a record signed with your own participant key, in this browser: it needs JavaScript.",
            "反馈是在本浏览器中用您自己的参与方密钥签名的记录，需要启用 JavaScript。"
        ),
        lang.t(
            "Your feedback (at most 512 bytes; it is kept on the consortium's ledger, so write no personal data)",
            "您的反馈（最多 512 字节；将保存在联盟链账本上，请勿填写个人信息）"
        ),
        lang.t(
            "Your participant key file (it stays in this browser)",
            "您的参与方密钥文件（只留在本浏览器）"
        ),
        lang.t("Sign and send", "签名并发送"),
    ));
    b.push_str(&proofs_script(story));
    frame(lang, product, self_path, &b)
}

/// Where the node serves the page's verifier.
pub const VERIFY_JS_PATH: &str = "/assets/verify.js";
/// The page's verifier (ADR 0089).
pub const VERIFY_JS: &str = include_str!("../assets/verify.js");

/// The proofs the page's verifier checks, as JSON in a data block, and the verifier: the
/// height read, the unit's registration, the recalls and the customs record, and the
/// certified header they rest on. `<` is written `\u003c`, so no value can end the block.
fn proofs_script(story: &Value) -> String {
    let recalls: Vec<Value> = story["recall"]["recalls"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            serde_json::json!({
                "recalled_unit": r["recalled_unit"],
                "issuer": r["issuer"],
                "reference": r["reference"],
                "proof": r["proof"],
            })
        })
        .collect();
    let certificates: Vec<Value> = story["certificates"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| serde_json::json!({"unit": c["unit"], "proof": c["proof"]}))
        .collect();
    let data = serde_json::json!({
        "read_at": story["read_at"],
        "certificates": certificates,
        "registration_proof": story["registration_proof"],
        "recalls": recalls,
        "customs_proof": story["customs_proof"],
        "proofs": story["proofs"],
    });
    let json = data
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    format!(
        "<script type=\"application/json\" id=\"tc-proofs\">{json}</script><script src=\"{VERIFY_JS_PATH}\" defer></script>\
         <script src=\"/assets/sign.js\" defer></script><script src=\"/assets/feedback.js\" defer></script>"
    )
}

/// The trajectory's points on the world outline: equirectangular, x = lon + 180, y = 90 − lat,
/// the path in order, the last point marked.
fn map_svg(points: &[Value], lang: Lang) -> String {
    let xy: Vec<(f64, f64)> = points
        .iter()
        .map(|p| {
            let lat = p["lat_e7"].as_i64().unwrap_or(0) as f64 / 1e7;
            let lon = p["lon_e7"].as_i64().unwrap_or(0) as f64 / 1e7;
            (
                (lon + 180.0).clamp(0.0, 360.0),
                (90.0 - lat).clamp(0.0, 180.0),
            )
        })
        .collect();
    let line: Vec<String> = xy.iter().map(|(x, y)| format!("{x:.2},{y:.2}")).collect();
    let dots: String = xy
        .iter()
        .enumerate()
        .map(|(i, (x, y))| {
            let last = i + 1 == xy.len();
            format!(
                "<circle cx=\"{x:.2}\" cy=\"{y:.2}\" r=\"{}\" fill=\"{}\"/>",
                if last { 2.2 } else { 1.4 },
                if last { "#8b0000" } else { "#0645ad" }
            )
        })
        .collect();
    format!(
        "<svg class=\"map\" id=\"map\" viewBox=\"0 0 360 180\" role=\"img\" aria-label=\"{}\">\
         <image href=\"{WORLD_SVG_PATH}\" x=\"0\" y=\"0\" width=\"360\" height=\"180\"/>\
         <polyline points=\"{}\" fill=\"none\" stroke=\"#0645ad\" stroke-width=\"0.6\"/>{dots}</svg>",
        lang.t(
            "Map of the recorded positions, in order",
            "按时间顺序的记录位置地图"
        ),
        line.join(" ")
    )
}

/// A page for a refusal (unknown unit, malformed link): its status line and detail.
pub fn error_page(lang: Lang, self_path: &str, title: &str, detail: &str) -> String {
    frame(
        lang,
        title,
        self_path,
        &format!(
            "<h1>{}</h1><p role=\"alert\">{}</p>",
            esc(title),
            esc(detail)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_follows_the_query_then_accept_language() {
        assert_eq!(Lang::of("lang=zh", Some("en")), Lang::Zh);
        assert_eq!(Lang::of("a=1&lang=en", Some("zh-CN")), Lang::En);
        assert_eq!(Lang::of("", Some("zh-CN,zh;q=0.9,en;q=0.8")), Lang::Zh);
        assert_eq!(Lang::of("", Some("en-US,en;q=0.9,zh;q=0.8")), Lang::En);
        assert_eq!(Lang::of("", Some("fr, zh;q=0.5, en;q=0.4")), Lang::Zh);
        assert_eq!(Lang::of("", Some("en;q=0.2, zh;q=0.7")), Lang::Zh);
        assert_eq!(Lang::of("", Some("fr")), Lang::En);
        assert_eq!(Lang::of("", None), Lang::En);
    }

    #[test]
    fn html_is_asked_for_by_browsers_only() {
        assert!(wants_html(Some(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        )));
        assert!(!wants_html(Some("application/json")));
        assert!(!wants_html(Some("*/*")));
        assert!(!wants_html(None));
    }

    /// What a bad-faith registrant writes (a product name, a producer name, a recall reference)
    /// is shown as text, never run as markup.
    #[test]
    fn a_hostile_participants_text_is_shown_not_run() {
        let evil = "<script>alert(1)</script><img src=x onerror=alert(2)>";
        let story = serde_json::json!({
            "unit": {"code": evil, "product_name": evil, "producer_name": evil, "batch": evil},
            "recall": {"recalled": true, "recalls": [{"reference": evil}]},
            "scans": {"count": 3, "suspicious": true, "why": [evil]},
            "certificates": [{"type": evil, "issuer_name": evil, "valid": true}],
            "trajectory": {"points": [{"time_ms": 0, "lat_e7": 0, "lon_e7": 0, "category": evil}]},
            "read_at": {"height": 1, "block_hash": evil, "state_root": evil},
        });
        for lang in [Lang::En, Lang::Zh] {
            let html = consumer_page(&story, lang, "/01/\"><script>");
            // The page's own scripts only: the proofs' data block, the verifier, the key
            // handling and the feedback form.
            assert_eq!(html.matches("<script").count(), 4, "{html}");
            assert!(!html.contains("<script>alert"), "{html}");
            assert!(!html.contains("<img"), "{html}");
            assert!(html.contains("&lt;script&gt;"));
            let block = html.split("id=\"tc-proofs\">").nth(1).unwrap();
            let block = block.split("</script>").next().unwrap();
            assert!(!block.contains('<') && !block.contains('>'), "{block}");
            let data: Value = serde_json::from_str(block).unwrap();
            assert_eq!(data["recalls"][0]["reference"], evil);
        }
        let html = error_page(Lang::En, "/x", evil, evil);
        assert!(!html.contains("<script") && !html.contains("<img"));
    }

    #[test]
    fn text_is_escaped_and_times_are_utc() {
        assert_eq!(
            esc("<script>\"x\"&'y'</script>"),
            "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/script&gt;"
        );
        assert_eq!(time(0), "1970-01-01 00:00 UTC");
        assert_eq!(time(1_796_083_200_000), "2026-12-01 00:00 UTC");
        assert_eq!(time(951_782_400_000), "2000-02-29 00:00 UTC");
    }
}
