//! The regulator console (issue 15, ADR 0089): one page served by every node at `/console`,
//! in English or Chinese. The page is a frame; `console.js` fills it from the read API with
//! reads signed by the regulator's own key, imported into the browser's WebCrypto by
//! `sign.js` (the key never leaves the browser), and submits decisions as records signed
//! there: approvals of participants, prefix claims, filings and declarations; the
//! completeness of a unit; a recall simulation as a graph and tables with its elapsed time;
//! the alerts of the event stream; the document check (the file is hashed in the browser);
//! the block explorer.

use crate::page::{frame, Lang};

/// Where the node serves the console.
pub const CONSOLE_PATH: &str = "/console";
/// The participant's key in the browser: signed reads, records built and signed.
pub const SIGN_JS: &str = include_str!("../assets/sign.js");
/// The console's script.
pub const CONSOLE_JS: &str = include_str!("../assets/console.js");
/// The consumer page's feedback form.
pub const FEEDBACK_JS: &str = include_str!("../assets/feedback.js");

const CONSOLE_STYLE: &str = "main{max-width:72rem}\
#tabs{display:flex;flex-wrap:wrap;gap:.25rem;margin:1rem 0}#tabs button{padding:.4rem .8rem;border:1px solid #0645ad;background:#fff;color:#0645ad;border-radius:.25rem;font:inherit}\
#tabs button[aria-selected=true]{background:#0645ad;color:#fff}\
button{font:inherit;padding:.3rem .7rem;margin:.1rem}input,textarea{font:inherit;max-width:100%}\
label{display:block;font-weight:600;margin-top:.5rem}.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}\
caption{text-align:left;font-weight:600;padding:.75rem 0 .25rem}.msg.ok{color:#0b3d1a}.msg.bad{color:#8b0000;font-weight:600}\
.reason{width:14rem}.graph{width:100%;max-width:40rem;height:auto;border:1px solid #9aa7b0;background:#fafafa}\
textarea#key-text{width:100%;font-family:monospace}\
@media (max-width:40rem){table thead{display:none}table tr{display:block;border-bottom:1px solid #ccc;padding:.4rem 0}table td{display:block;border:0;padding:.1rem 0}\
table td[data-label]::before{content:attr(data-label) \": \";font-weight:600}.reason{width:100%}}";

/// The console's page (a frame the script fills).
pub fn console_page(lang: Lang) -> String {
    let t = |en: &'static str, zh: &'static str| lang.pick(en, zh);
    let tab = |name: &str, en: &'static str, zh: &'static str| {
        format!(
            "<button type=\"button\" role=\"tab\" data-tab=\"{name}\" aria-controls=\"tab-{name}\" aria-selected=\"false\">{}</button>",
            t(en, zh)
        )
    };
    let body = format!(
        "<style>{CONSOLE_STYLE}</style>\
         <header><p class=\"muted\">tracechain</p><h1>{title}</h1></header>\
         <noscript><p class=\"banner warn\">{noscript}</p></noscript>\
         <p id=\"console-js\" class=\"muted\">{loading}</p>\
         <section aria-labelledby=\"h-signin\" id=\"signin\"><h2 id=\"h-signin\">{signin}</h2>\
         <div id=\"key-form\"><p>{keynote}</p>\
         <label for=\"key-file\">{keyfile}</label><input type=\"file\" id=\"key-file\" accept=\".key,.json,application/json\">\
         <label for=\"key-text\">{keytext}</label><textarea id=\"key-text\" rows=\"4\" autocomplete=\"off\" spellcheck=\"false\"></textarea>\
         <p><button type=\"button\" id=\"sign-in\">{signin}</button></p></div>\
         <p><button type=\"button\" id=\"sign-out\" hidden>{signout}</button></p>\
         <p id=\"who\" role=\"status\" aria-live=\"polite\"></p></section>\
         <nav id=\"tabs\" role=\"tablist\" aria-label=\"{views}\" hidden>{tabs}</nav>\
         <section class=\"tab\" id=\"tab-approvals\" role=\"tabpanel\" aria-labelledby=\"h-approvals\" hidden><h2 id=\"h-approvals\">{approvals}</h2>\
         <p class=\"muted\">{approvals_note}</p><div id=\"approvals\"></div></section>\
         <section class=\"tab\" id=\"tab-units\" role=\"tabpanel\" aria-labelledby=\"h-units\" hidden><h2 id=\"h-units\">{units}</h2>\
         <form id=\"unit-form\"><label for=\"unit-code\">{code}</label><input id=\"unit-code\" type=\"text\" size=\"40\" required> <button type=\"submit\">{show}</button></form>\
         <div id=\"unit-out\" aria-live=\"polite\"></div></section>\
         <section class=\"tab\" id=\"tab-recall\" role=\"tabpanel\" aria-labelledby=\"h-recall\" hidden><h2 id=\"h-recall\">{recall}</h2>\
         <p class=\"muted\">{recall_note}</p>\
         <form id=\"recall-form\"><label for=\"recall-code\">{batch}</label><input id=\"recall-code\" type=\"text\" size=\"40\" required> <button type=\"submit\">{simulate}</button></form>\
         <div id=\"recall-out\" aria-live=\"polite\"></div></section>\
         <section class=\"tab\" id=\"tab-alerts\" role=\"tabpanel\" aria-labelledby=\"h-alerts\" hidden><h2 id=\"h-alerts\">{alerts}</h2>\
         <p><button type=\"button\" id=\"alerts-start\">{follow}</button> <button type=\"button\" id=\"alerts-stop\">{stop}</button> <span id=\"alerts-state\" role=\"status\"></span></p>\
         <table><caption>{alerts_caption}</caption><thead><tr><th scope=\"col\">{block}</th><th scope=\"col\">{kind}</th><th scope=\"col\">{what}</th></tr></thead><tbody id=\"alerts-list\"></tbody></table></section>\
         <section class=\"tab\" id=\"tab-documents\" role=\"tabpanel\" aria-labelledby=\"h-documents\" hidden><h2 id=\"h-documents\">{documents}</h2>\
         <p>{doc_note}</p><label for=\"doc-file\">{doc_file}</label><input type=\"file\" id=\"doc-file\"><div id=\"doc-out\" aria-live=\"polite\"></div></section>\
         <section class=\"tab\" id=\"tab-blocks\" role=\"tabpanel\" aria-labelledby=\"h-blocks\" hidden><h2 id=\"h-blocks\">{blocks}</h2>\
         <div id=\"blocks\"></div><p><button type=\"button\" id=\"blocks-older\" hidden>{older}</button></p></section>\
         <script src=\"/assets/verify.js\" defer></script><script src=\"/assets/sign.js\" defer></script><script src=\"/assets/console.js\" defer></script>",
        title = t("Regulator console", "监管控制台"),
        noscript = t(
            "The console signs every request with your key in this browser: it needs JavaScript.",
            "控制台在本浏览器中用您的密钥签名每个请求，需要启用 JavaScript。"
        ),
        loading = t("Loading the console…", "正在加载控制台…"),
        signin = t("Sign in", "登录"),
        signout = t("Sign out", "退出"),
        keynote = t(
            "Sign in with your participant key file. It stays in this browser: requests and decisions are signed here, the key is never sent, and it is forgotten when you sign out or leave the page.",
            "请用参与方密钥文件登录。密钥只留在本浏览器：请求与决定在此签名，密钥从不发送，退出或离开页面即清除。"
        ),
        keyfile = t("Key file", "密钥文件"),
        keytext = t("or paste the key file's content", "或粘贴密钥文件内容"),
        views = t("Views", "视图"),
        tabs = [
            tab("approvals", "Approvals", "审批"),
            tab("units", "Completeness", "完整性"),
            tab("recall", "Recall simulation", "召回模拟"),
            tab("alerts", "Alerts", "告警"),
            tab("documents", "Document check", "文件核验"),
            tab("blocks", "Blocks", "区块"),
        ]
        .join(""),
        approvals = t("Awaiting a decision", "待审批"),
        approvals_note = t(
            "Each decision is a record signed with your key, with its reason, on the ledger (R-B5). Once the validators commit it, the new status is read back from the chain.",
            "每个决定都是用您的密钥签名、附理由的链上记录（R-B5）。验证节点提交后，新状态从链上读回。"
        ),
        units = t("Completeness of a trace unit", "追溯单元完整性"),
        code = t(
            "Trace code or Digital Link (e.g. /01/…/21/…)",
            "追溯码或数字链接（如 /01/…/21/…）"
        ),
        show = t("Show", "查看"),
        recall = t("Recall simulation", "召回模拟"),
        recall_note = t(
            "Simulates a recall of a batch: what it reaches downstream — units, countries, warehouses, retailers, orders. Nothing is written.",
            "模拟对某批次的召回：其下游影响的单元、国家、仓库、零售商和订单。不写入任何内容。"
        ),
        batch = t("Batch code or Digital Link (/01/…/10/…)", "批次码或数字链接（/01/…/10/…）"),
        simulate = t("Simulate", "模拟"),
        alerts = t("Alerts", "告警"),
        follow = t("Follow", "跟踪"),
        stop = t("Stop", "停止"),
        alerts_caption = t(
            "Suspicious scans, sensor excursions, closed-loop mismatches and recalls, newest first",
            "可疑扫描、传感器超限、闭环不一致与召回（最新在前）"
        ),
        block = t("Block", "区块"),
        kind = t("Kind", "类型"),
        what = t("What", "内容"),
        documents = t("Document check", "文件核验"),
        doc_note = t(
            "The file is hashed (SHA-256) in this browser and only its hash is sent: the file never leaves this device.",
            "文件在本浏览器中计算哈希（SHA-256），只发送哈希：文件不会离开本设备。"
        ),
        doc_file = t("Document", "文件"),
        blocks = t("Block explorer", "区块浏览"),
        older = t("Older blocks", "更早的区块"),
    );
    frame(
        lang,
        lang.pick("Regulator console", "监管控制台"),
        CONSOLE_PATH,
        &body,
    )
}
