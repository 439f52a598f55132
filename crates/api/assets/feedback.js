// tracechain: the consumer page's feedback form (R-S7; issue 15, ADR 0089). Feedback is a
// record signed by the consumer's own participant key, in this browser (sign.js): the key is
// read from its file, used once and dropped; only the signed record is sent.
'use strict';
(function () {
  const doc = document;
  const $ = (id) => doc.getElementById(id);
  const zh = (doc.documentElement.lang || 'en').startsWith('zh');
  const t = (en, cn) => (zh ? cn : en);

  async function send(ev) {
    ev.preventDefault();
    const out = $('feedback-out');
    const say = (text, cls) => { out.textContent = text; out.className = 'banner ' + cls; };
    const V = window.tracechainVerify, S = window.tracechainSign;
    // Control characters are refused by the contracts: line breaks become spaces.
    const text = $('feedback-text').value.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
    if (!text) { say(t('Write your feedback first.', '请先填写反馈内容。'), 'warn'); return; }
    if (new TextEncoder().encode(text).length > 512) { say(t('At most 512 bytes, please.', '最多 512 字节。'), 'warn'); return; }
    const file = $('feedback-key').files[0];
    if (!file || file.size > 4096) { say(t('Choose your participant key file.', '请选择您的参与方密钥文件。'), 'warn'); return; }
    say(t('Signing in this browser and sending…', '正在本浏览器签名并发送…'), 'muted');
    try {
      const keyText = await file.text();
      $('feedback-key').value = '';
      const session = await S.signIn(keyText);
      const code = V.codeOfPath(location.pathname);
      const ref = 'FB-' + Date.now().toString(36).toUpperCase() + '-' + Math.random().toString(36).slice(2, 6).toUpperCase();
      const a = await session.submit(S.records.feedback(ref, code, text));
      // Read it back from the chain, as its author.
      const f = await session.readJson('/v1/feedback/' + session.publicHex + '/' + encodeURIComponent(ref));
      if (f.text !== text) throw new Error(t('the chain holds another text', '链上内容不一致'));
      say(t('Thank you: your feedback ', '谢谢：您的反馈 ') + ref + t(' is recorded at block ', ' 已记录于区块 ') + a.height + '.', 'ok');
      out.dataset.ref = ref;
      out.dataset.author = session.publicHex;
      $('feedback-text').value = '';
    } catch (e) {
      say(t('Not recorded: ', '未记录：') + e.message, 'recall');
    }
  }

  function init() {
    const form = $('feedback');
    if (!form) return;
    form.addEventListener('submit', send);
    $('feedback-send').disabled = false;
    $('feedback-nojs').hidden = true;
  }
  if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', init);
  else init();
})();
