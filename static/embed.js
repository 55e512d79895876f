/*! 听见 Tingjian survey embed. Vanilla ES2017, no dependencies.
 *
 *   <script src="https://HOST/embed.js" data-survey="SURVEY_ID" async></script>
 *
 * Optional attributes on the tag:
 *   data-target="#selector"     render into that element instead of right after the tag
 *   data-respondent-id="u-1"    who is answering (read at submit time, so it may change)
 *   data-attr-plan="pro"        respondent attributes: data-attr-<key>="<value>"
 *   data-lang="en"              language of the loading message (the survey sets the rest)
 *   data-base="https://HOST"    service URL, when the script is served from elsewhere
 *
 * Popup and slide-in (instead of rendering in the page):
 *   data-mode="popup"           a centred dialog over the page; data-mode="slide-in": a card
 *                               in the bottom-right corner (the bottom edge on phones)
 *   data-show-after="10"        show 10 seconds after the page loads
 *   data-show-at-scroll="50"    show once the visitor has scrolled through half the page
 *   Tingjian.show('SURVEY_ID')  show it now, from the host page's own code (for example after
 *                               a purchase); with neither attribute, this is the only trigger
 * A popup or slide-in is shown once per browser (localStorage), whichever trigger fires first;
 * Tingjian.show(id, { force: true }) shows it again. `tingjian:ready` is dispatched on
 * `document` when the script has loaded, so a page may wait for it before calling show().
 *
 * The survey renders inside a Shadow DOM, so page styles do not reach it and its styles do
 * not reach the page. The survey's own accent colour, logo and product name come with it;
 * override the colours by setting custom properties on the `tingjian-survey`
 * element: --tj-accent, --tj-on-accent, --tj-card, --tj-text, --tj-muted, --tj-border,
 * --tj-error, --tj-radius, --tj-font.
 *
 * After a successful submit a `tingjian:submitted` event (bubbling, detail: {surveyId,
 * responseId, answers}) is dispatched on the script element.
 */
(function () {
  'use strict';

  // A second copy of this script on the page: the first copy mounts the new tags.
  if (window.Tingjian && typeof window.Tingjian.scan === 'function') {
    window.Tingjian.scan(document.currentScript);
    return;
  }
  if (typeof window.fetch !== 'function') return;

  var VERSION = '2';
  var MOUNTED = 'data-tingjian-mounted';
  var MAX_TEXT = 10000;
  // A text answer's length when its question sets no max_length (the server's default).
  var DEFAULT_TEXT = 2000;
  var RANGES = { nps: [0, 10], csat: [1, 5], ces: [1, 7], rating: [1, 5] };
  var KINDS = ['nps', 'csat', 'ces', 'rating', 'single_choice', 'multi_choice', 'text'];
  var instances = 0;

  var TEXT = {
    'zh-CN': {
      loading: '问卷加载中…',
      loadFailed: '问卷加载失败，请稍后刷新页面重试。',
      unavailable: '问卷暂时无法在这里显示，感谢您的关注。',
      close: '关闭问卷',
      privacy: '隐私说明：我们如何使用您的回答',
      notFound: '问卷不存在或已关闭。',
      required: '必填',
      requiredChoose: '此题为必填，请选择一项',
      requiredMulti: '此题为必填，请至少选择一项',
      requiredText: '此题为必填，请填写',
      tooLong: function (n) { return '最多 ' + n + ' 个字'; },
      limitHint: function (n) { return '最多 ' + n + ' 字'; },
      atLeastOne: '请至少回答一个问题。',
      fix: '提交未成功，请修改标出的问题。',
      multiHint: '（可多选）',
      submit: '提交',
      submitting: '提交中…',
      network: '网络异常，提交未成功。请检查网络后再次点击“提交”，已填写的内容不会丢失。',
      failed: '提交未成功，请稍后再次点击“提交”。',
      tooMany: '提交过于频繁，请稍后再试。',
      thanksTitle: '提交成功',
      thanks: '感谢您的反馈！我们会认真阅读每一条意见。',
      ends: {
        nps: ['0 = 完全不可能', '10 = 非常愿意'],
        csat: ['1 = 非常不满意', '5 = 非常满意'],
        ces: ['1 = 非常费力', '7 = 非常轻松'],
        rating: ['1 = 很差', '5 = 很好']
      }
    },
    en: {
      loading: 'Loading survey…',
      loadFailed: 'The survey could not be loaded. Please reload the page later.',
      unavailable: 'This survey cannot be shown here. Thank you for your interest.',
      close: 'Close survey',
      privacy: 'Privacy: how we use your answers',
      notFound: 'This survey does not exist or is closed.',
      required: 'Required',
      requiredChoose: 'This question is required: please choose one.',
      requiredMulti: 'This question is required: choose at least one option.',
      requiredText: 'This question is required.',
      tooLong: function (n) { return 'At most ' + n + ' characters.'; },
      limitHint: function (n) { return 'Up to ' + n + ' characters'; },
      atLeastOne: 'Please answer at least one question.',
      fix: 'Your answers were not submitted. Please fix the marked questions.',
      multiHint: '(Choose all that apply)',
      submit: 'Submit',
      submitting: 'Submitting…',
      network: 'Network problem: your answers were not sent. Check your connection and press Submit again; nothing you entered is lost.',
      failed: 'Your answers were not submitted. Please press Submit again in a moment.',
      tooMany: 'Too many submissions. Please try again later.',
      thanksTitle: 'Thank you!',
      thanks: 'Thanks for your feedback. We read every response.',
      ends: {
        nps: ['0 = Not at all likely', '10 = Extremely likely'],
        csat: ['1 = Very dissatisfied', '5 = Very satisfied'],
        ces: ['1 = Very difficult', '7 = Very easy'],
        rating: ['1 = Poor', '5 = Excellent']
      }
    }
  };

  // Pixel units throughout: rem would follow the host page's root font size.
  var CSS = [
    ':host{display:block}',
    '.tj{all:initial;display:block;box-sizing:border-box;max-width:640px;margin:0 auto;padding:20px 16px;',
    '--a:var(--tj-accent,var(--tj-survey-accent,#1a66d9));--on-a:var(--tj-on-accent,var(--tj-survey-on-accent,#fff));--card:var(--tj-card,#fff);',
    '--fg:var(--tj-text,#1f2329);--mut:var(--tj-muted,#5c636e);--bd:var(--tj-border,#cfd3da);',
    '--err:var(--tj-error,#c4281c);--soft:var(--tj-accent-soft,var(--tj-survey-soft,#e8f0fd));--r:var(--tj-radius,12px);',
    'color:var(--fg);background:var(--card);border:1px solid var(--bd);border-radius:var(--r);',
    'font:16px/1.6 var(--tj-font,-apple-system,BlinkMacSystemFont,"Segoe UI","PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Noto Sans SC",Roboto,"Helvetica Neue",Arial,sans-serif);',
    'text-align:left;-webkit-text-size-adjust:100%;text-size-adjust:100%}',
    '.tj *,.tj *::before,.tj *::after{box-sizing:border-box}',
    '[hidden]{display:none!important}',
    '.tj-form{margin:0}',
    '.tj-title{margin:0 0 8px;font-size:20px;line-height:1.35;font-weight:650;overflow-wrap:anywhere}',
    '.tj-lead{margin:0 0 8px;color:var(--mut);white-space:pre-line;overflow-wrap:anywhere}',
    '.tj-alert{margin:8px 0 12px;padding:10px 14px;border:1px solid var(--err);border-radius:8px;color:var(--err);font-size:14px;font-weight:600}',
    '.tj-alert p{margin:0}.tj-alert ul{margin:4px 0 0;padding-left:20px;font-weight:400}',
    '.tj-q{margin:0;padding:16px 0;min-width:0;border:0;border-top:1px solid var(--bd)}',
    '.tj-q-invalid{box-shadow:inset 3px 0 0 var(--err);padding-left:12px}',
    '.tj-label{display:block;float:left;width:100%;padding:0;margin:0 0 8px;font-size:16px;font-weight:600;line-height:1.45;overflow-wrap:anywhere}',
    '.tj-label+*{clear:both}',
    '.tj-n{color:var(--mut);font-weight:500;margin-right:4px}',
    '.tj-t{white-space:pre-line}',
    '.tj-badge{display:inline-block;margin-left:6px;padding:0 6px;vertical-align:1px;font-size:12px;font-weight:500;line-height:1.5;border-radius:4px;color:var(--err);border:1px solid currentColor}',
    '.tj-desc,.tj-hint{margin:0 0 8px;font-size:14px;color:var(--mut);white-space:pre-line;overflow-wrap:anywhere}',
    '.tj-err{margin:0 0 8px;font-size:14px;font-weight:600;color:var(--err)}',
    '.tj-pick input,.tj-choice input,.tj-hp{position:absolute;width:1px;height:1px;margin:-1px;padding:0;border:0;overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap}',
    '.tj-hp{left:-10000px}',
    // One row whatever the width: as many equal columns as points (0–10 fits 320 px).
    '.tj-scale{display:grid;grid-auto-flow:column;grid-auto-columns:minmax(0,1fr);gap:clamp(2px,1.2%,6px);clear:both}',
    '.tj-pick{position:relative;display:block;margin:0}',
    '.tj-pick span{display:flex;align-items:center;justify-content:center;min-height:44px;border:1px solid var(--bd);border-radius:8px;background:var(--card);font-weight:600;font-variant-numeric:tabular-nums;cursor:pointer;user-select:none;-webkit-user-select:none}',
    '.tj-pick:hover span,.tj-choice:hover span{border-color:var(--a)}',
    '.tj-pick input:checked+span{background:var(--a);border-color:var(--a);color:var(--on-a)}',
    '.tj-pick input:focus-visible+span,.tj-choice input:focus-visible+span{outline:3px solid var(--a);outline-offset:2px}',
    '.tj-ends{display:flex;justify-content:space-between;gap:16px;margin:6px 0 0;font-size:13px;color:var(--mut)}',
    '.tj-ends span:last-child{text-align:right}',
    '.tj-choices{display:grid;gap:8px;clear:both}',
    '.tj-choice{position:relative;display:block;margin:0}',
    '.tj-choice span{display:flex;align-items:center;gap:10px;min-height:44px;padding:8px 12px;border:1px solid var(--bd);border-radius:8px;background:var(--card);cursor:pointer;overflow-wrap:anywhere}',
    '.tj-choice span::before{content:"";flex:none;width:18px;height:18px;border:2px solid var(--bd);border-radius:50%;background:var(--card)}',
    '.tj-choice input[type=checkbox]+span::before{border-radius:4px}',
    '.tj-choice input:checked+span{border-color:var(--a);background:var(--soft)}',
    '.tj-choice input:checked+span::before{border-color:var(--a);background:var(--a);box-shadow:inset 0 0 0 3px var(--card)}',
    '.tj-text{display:block;width:100%;min-height:112px;margin:0;padding:10px 12px;clear:both;font:inherit;color:inherit;background:var(--card);border:1px solid var(--bd);border-radius:8px;resize:vertical}',
    '.tj-text:focus{outline:3px solid var(--a);outline-offset:1px;border-color:var(--a)}',
    '.tj-q-invalid .tj-pick span,.tj-q-invalid .tj-choice span,.tj-q-invalid .tj-text{border-color:var(--err)}',
    '.tj-actions{margin-top:16px}',
    '.tj-submit{display:block;width:100%;min-height:48px;margin:0;padding:12px 24px;font:inherit;font-size:17px;font-weight:600;letter-spacing:.05em;color:var(--on-a);background:var(--a);border:0;border-radius:10px;cursor:pointer}',
    '.tj-submit:hover{filter:brightness(1.08)}',
    '.tj-submit:focus-visible{outline:3px solid var(--a);outline-offset:3px}',
    '.tj-submit[disabled]{opacity:.65;cursor:progress}',
    '.tj-status{margin:8px 0 0;font-size:14px;color:var(--mut)}',
    '.tj-status:empty{display:none}',
    '.tj-status-err{color:var(--err);font-weight:600}',
    '.tj-done{padding:24px 8px;text-align:center;outline:none}',
    '.tj-check{width:56px;height:56px;margin:0 auto 12px;border-radius:50%;display:flex;align-items:center;justify-content:center;font-size:28px;font-weight:700;color:var(--on-a);background:var(--a)}',
    '.tj-done-title{margin:0 0 6px;font-size:20px;font-weight:650}',
    '.tj-brand{display:flex;align-items:center;gap:8px;margin:0 0 10px;color:var(--mut);font-weight:600;overflow-wrap:anywhere}',
    '.tj-logo{flex:none;width:28px;height:28px;object-fit:contain;border-radius:6px}',
    '.tj-foot{margin:14px 0 0;text-align:center;font-size:13px}.tj-foot a{color:var(--mut)}',
    // Popup and slide-in: the frame inside a fixed layer with its own close button.
    '.tj-layer{position:fixed;z-index:2147483000;display:flex}',
    '.tj-overlay{inset:0;align-items:center;justify-content:center;padding:16px;background:rgba(15,18,22,.45)}',
    '.tj-slide{right:16px;bottom:16px;width:min(400px,calc(100vw - 32px))}',
    '.tj-box{position:relative;width:100%;max-height:calc(100vh - 32px);overflow:auto;border-radius:var(--tj-radius,12px);box-shadow:0 12px 40px rgba(15,18,22,.28)}',
    '.tj-overlay .tj-box{max-width:560px}',
    '.tj-slide .tj-box{max-height:min(520px,calc(100vh - 32px))}',
    '.tj-box .tj{margin:0}',
    '.tj-close{all:initial;position:absolute;top:6px;right:6px;z-index:1;width:40px;height:40px;display:flex;align-items:center;justify-content:center;border-radius:50%;font:22px/1 sans-serif;color:var(--tj-muted,#5c636e);cursor:pointer}',
    '.tj-close:hover{background:rgba(127,127,127,.15)}.tj-close:focus-visible{outline:3px solid var(--tj-accent,#1a66d9)}',
    '.tj-box .tj-title{padding-right:36px}',
    '@media (max-width:480px){.tj-slide{right:0;bottom:0;width:100vw}.tj-slide .tj-box{max-height:85vh;border-radius:12px 12px 0 0}}',
    '@media (max-width:400px){.tj-pick span{font-size:15px;border-radius:6px}}',
    '@media (min-width:560px){.tj{padding:24px}.tj-submit{width:auto;min-width:160px}}'
  ].join('\n');

  /** createElement with attributes (null/false skipped, true = empty) and text/node children. */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        node.setAttribute(k, v === true ? '' : String(v));
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }

  function langOf(value) {
    return /^en\b/i.test(String(value || '')) ? 'en' : 'zh-CN';
  }

  /** A fresh id per rendered form, reused on every retry so the server can de-duplicate. */
  function newResponseId() {
    var c = window.crypto;
    try {
      if (c && typeof c.randomUUID === 'function') return c.randomUUID();
    } catch (e) { /* randomUUID needs a secure context; fall through */ }
    var bytes = new Uint8Array(16);
    if (c && typeof c.getRandomValues === 'function') {
      c.getRandomValues(bytes);
    } else {
      for (var i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    }
    return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? '0' : '') + b.toString(16); }).join('');
  }

  /** The service URL: data-base, or the script's own URL without its file name. */
  function baseUrl(script) {
    try {
      var explicit = script.getAttribute('data-base');
      if (explicit) return new URL(explicit, document.baseURI).href.replace(/\/+$/, '');
      var u = new URL(script.src, document.baseURI);
      return u.origin + u.pathname.replace(/\/[^\/]*$/, '');
    } catch (e) {
      return null;
    }
  }

  /** Respondent from data-respondent-id and data-attr-* (attribute names keep their hyphens). */
  function respondentFrom(script) {
    var r = {};
    var id = (script.getAttribute('data-respondent-id') || '').trim();
    if (id) r.id = id;
    var attrs = {};
    var count = 0;
    Array.prototype.forEach.call(script.attributes, function (a) {
      if (a.name.indexOf('data-attr-') === 0 && a.name.length > 10) {
        attrs[a.name.slice(10)] = a.value;
        count++;
      }
    });
    if (count) r.attributes = attrs;
    return r.id || count ? r : null;
  }

  function same(a, b) {
    if (typeof a === 'number' && typeof b === 'number') return a === b;
    return String(a) === String(b);
  }

  /** Mirrors ShowIf::is_met on the server: equals, any_of, or a min/max range. */
  function conditionMet(cond, answer) {
    if (answer === undefined) return false;
    var values = Array.isArray(answer) ? answer : [answer];
    var hasEquals = cond.equals !== undefined && cond.equals !== null;
    var anyOf = Array.isArray(cond.any_of) ? cond.any_of : [];
    var hasMin = typeof cond.min === 'number';
    var hasMax = typeof cond.max === 'number';
    return values.some(function (v) {
      if (hasEquals && same(cond.equals, v)) return true;
      if (anyOf.some(function (x) { return same(x, v); })) return true;
      if ((hasMin || hasMax) && typeof v === 'number') {
        return (!hasMin || v >= cond.min) && (!hasMax || v <= cond.max);
      }
      return false;
    });
  }

  function textLimit(q) {
    var n = Number(q.max_length);
    return n > 0 ? Math.min(Math.floor(n), MAX_TEXT) : DEFAULT_TEXT;
  }

  /** The survey's accent colour (#rrggbb) with a readable text colour and a soft tint. */
  function accentStyle(frame, hex) {
    if (!/^#[0-9a-f]{6}$/i.test(String(hex || ''))) return;
    var rgb = [1, 3, 5].map(function (i) { return parseInt(hex.slice(i, i + 2), 16); });
    var lin = rgb.map(function (c) {
      c /= 255;
      return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
    var soft = '#' + rgb.map(function (c) {
      var v = Math.round(c * 0.12 + 255 * 0.88);
      return (v < 16 ? '0' : '') + v.toString(16);
    }).join('');
    frame.style.setProperty('--tj-survey-accent', hex);
    frame.style.setProperty('--tj-survey-on-accent', luminance > 0.4 ? '#111418' : '#ffffff');
    frame.style.setProperty('--tj-survey-soft', soft);
  }

  class Survey {
    constructor(script, root, id, base, container) {
      this.script = script;
      this.id = id;
      this.base = base;
      this.uid = 'tj' + (++instances) + '-';
      this.t = TEXT[langOf(script.getAttribute('data-lang'))];
      this.responseId = newResponseId();
      this.busy = false;
      this.done = false;
      this.def = null;
      this.questions = [];
      this.byId = {};
      this.nodes = {};
      this.visible = {};
      this.frame = el('div', { class: 'tj', 'data-survey': id }, [
        el('p', { class: 'tj-status', role: 'status' }, [this.t.loading])
      ]);
      root.appendChild(el('style', null, [CSS]));
      (container || root).appendChild(this.frame);
    }

    /** Fetches and renders the survey; resolves to whether it is showing. */
    load() {
      var self = this;
      var url = this.base + '/s/' + encodeURIComponent(this.id) + '/definition.json';
      return fetch(url, { credentials: 'omit', mode: 'cors' })
        .then(function (res) {
          if (res.status === 404 || res.status === 410) throw userError(self.t.notFound);
          if (res.status === 403) {
            return res.json().catch(function () { return null; }).then(function (body) {
              if (body && body.code === 'origin_not_allowed') {
                // For the site's developer: the respondent sees a neutral line only.
                if (window.console && console.warn) {
                  console.warn('[tingjian] survey ' + self.id + ' may not be embedded on ' + window.location.origin +
                    ': add "' + window.location.origin + '" to the survey\'s allowed origins (听见控制台 › 问卷 › 编辑 › 允许嵌入的网站).');
                }
                var e = userError(self.t.unavailable);
                e.quiet = true;
                throw e;
              }
              throw userError(self.t.loadFailed);
            });
          }
          if (!res.ok) throw userError(self.t.loadFailed);
          return res.json();
        })
        .then(function (def) {
          self.render(def);
          return true;
        })
        .catch(function (err) {
          self.frame.textContent = '';
          var quiet = err && err.quiet;
          self.frame.appendChild(el('p', { class: quiet ? 'tj-status' : 'tj-status tj-status-err', role: quiet ? 'status' : 'alert', 'data-tingjian-unavailable': quiet || null }, [
            err && err.tjMessage ? err.tjMessage : self.t.loadFailed
          ]));
          if (!quiet && window.console && console.warn) console.warn('[tingjian] survey ' + self.id + ':', err);
          return false;
        });
    }

    render(def) {
      if (!def || typeof def !== 'object' || !Array.isArray(def.questions)) throw new Error('invalid survey definition');
      var self = this;
      this.def = def;
      var lang = def.language === 'en' ? 'en' : 'zh-CN';
      this.t = TEXT[lang];
      this.frame.setAttribute('lang', lang);
      this.questions = def.questions.filter(function (q) {
        return q && typeof q.id === 'string' && KINDS.indexOf(q.type) >= 0;
      });
      var t = this.t;

      accentStyle(this.frame, def.accent_color);
      var form = el('form', { class: 'tj-form', 'data-tingjian-form': true, novalidate: true, 'accept-charset': 'UTF-8' });
      var brand = this.brand();
      if (brand) form.appendChild(brand);
      form.appendChild(el('h2', { class: 'tj-title' }, [String(def.title || '')]));
      if (def.description) form.appendChild(el('p', { class: 'tj-lead' }, [String(def.description)]));
      this.alert = el('div', { class: 'tj-alert', role: 'alert', hidden: true });
      form.appendChild(this.alert);
      this.questions.forEach(function (q, i) {
        self.byId[q.id] = q;
        form.appendChild(self.renderQuestion(q, i));
      });

      // Honeypot: people never see or reach it; bots that fill every field do.
      this.honeypot = el('input', { type: 'text', name: 'website', tabindex: '-1', autocomplete: 'off' });
      form.appendChild(el('div', { class: 'tj-hp', 'aria-hidden': 'true' }, [el('label', null, ['Website', this.honeypot])]));

      this.button = el('button', { type: 'submit', class: 'tj-submit' }, [t.submit]);
      this.status = el('p', { class: 'tj-status', role: 'status', 'aria-live': 'polite' });
      form.appendChild(el('div', { class: 'tj-actions' }, [this.button, this.status]));
      var privacy = this.privacy();
      if (privacy) form.appendChild(privacy);

      form.addEventListener('change', function () { self.updateVisibility(); });
      form.addEventListener('input', function () { self.updateVisibility(); });
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        self.submit();
      });

      this.form = form;
      this.frame.textContent = '';
      this.frame.appendChild(form);
      this.updateVisibility();
    }

    /** Logo and product name, when the survey has them. */
    brand() {
      var def = this.def;
      var logo = /^https:\/\//i.test(String(def.logo_url || '')) ? String(def.logo_url) : null;
      var name = def.product_name ? String(def.product_name) : null;
      if (!logo && !name) return null;
      return el('p', { class: 'tj-brand' }, [
        logo ? el('img', { class: 'tj-logo', src: logo, alt: name ? '' : (this.t === TEXT.en ? 'Logo' : '标志'), width: '28', height: '28', referrerpolicy: 'no-referrer' }) : null,
        name ? el('span', null, [name]) : null
      ]);
    }

    privacy() {
      var url = String(this.def && this.def.privacy_url || '');
      if (!/^https?:\/\//i.test(url)) return null;
      return el('p', { class: 'tj-foot' }, [
        el('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, [this.t.privacy])
      ]);
    }

    renderQuestion(q, i) {
      var t = this.t;
      var uid = this.uid + i;
      var isText = q.type === 'text';
      var wrap = el(isText ? 'div' : 'fieldset', { class: 'tj-q', 'data-question': q.id });
      var number = el('span', { class: 'tj-n' }, [(i + 1) + '.']);
      var title = [
        number,
        el('span', { class: 'tj-t' }, [String(q.title || '')])
      ];
      if (q.required) title.push(el('span', { class: 'tj-badge' }, [t.required]));
      wrap.appendChild(isText
        ? el('label', { class: 'tj-label', for: uid + '-i' }, title)
        : el('legend', { class: 'tj-label' }, title));

      var described = [];
      if (q.description) {
        wrap.appendChild(el('p', { class: 'tj-desc', id: uid + '-d' }, [String(q.description)]));
        described.push(uid + '-d');
      }
      var err = el('p', { class: 'tj-err', id: uid + '-e', hidden: true });
      wrap.appendChild(err);

      var inputs = [];
      var range = RANGES[q.type];
      if (range) {
        var scale = el('div', { class: 'tj-scale' });
        for (var v = range[0]; v <= range[1]; v++) {
          var radio = el('input', { type: 'radio', name: q.id, value: String(v) });
          inputs.push(radio);
          scale.appendChild(el('label', { class: 'tj-pick' }, [radio, el('span', null, [String(v)])]));
        }
        wrap.appendChild(scale);
        var ends = t.ends[q.type];
        wrap.appendChild(el('p', { class: 'tj-ends', id: uid + '-h' }, [
          el('span', null, [ends[0]]),
          el('span', null, [ends[1]])
        ]));
        described.push(uid + '-h');
      } else if (q.type === 'single_choice' || q.type === 'multi_choice') {
        var multi = q.type === 'multi_choice';
        if (multi) {
          wrap.appendChild(el('p', { class: 'tj-hint', id: uid + '-h' }, [t.multiHint]));
          described.push(uid + '-h');
        }
        var list = el('div', { class: 'tj-choices' });
        (Array.isArray(q.options) ? q.options : []).forEach(function (opt) {
          var input = el('input', { type: multi ? 'checkbox' : 'radio', name: q.id, value: String(opt) });
          inputs.push(input);
          list.appendChild(el('label', { class: 'tj-choice' }, [input, el('span', null, [String(opt)])]));
        });
        wrap.appendChild(list);
      } else {
        var area = el('textarea', {
          class: 'tj-text',
          id: uid + '-i',
          name: q.id,
          rows: '4',
          maxlength: String(textLimit(q)),
          placeholder: q.placeholder ? String(q.placeholder) : null
        });
        inputs.push(area);
        wrap.appendChild(area);
        if (q.max_length) {
          wrap.appendChild(el('p', { class: 'tj-hint', id: uid + '-h' }, [t.limitHint(textLimit(q))]));
          described.push(uid + '-h');
        }
      }

      this.nodes[q.id] = { wrap: wrap, number: number, err: err, inputs: inputs, described: described, describer: isText ? inputs[0] : wrap };
      this.setDescribed(q.id, false);
      return wrap;
    }

    setDescribed(id, withError) {
      var node = this.nodes[id];
      var ids = node.described.slice();
      if (withError) ids.push(node.err.id);
      if (ids.length) node.describer.setAttribute('aria-describedby', ids.join(' '));
      else node.describer.removeAttribute('aria-describedby');
    }

    /** The current answer, shaped as the server expects; undefined when unanswered. */
    answerOf(q) {
      var node = this.nodes[q.id];
      if (!node) return undefined;
      var checked = node.inputs.filter(function (i) { return i.checked; });
      if (RANGES[q.type]) return checked.length ? Number(checked[0].value) : undefined;
      if (q.type === 'single_choice') return checked.length ? checked[0].value : undefined;
      if (q.type === 'multi_choice') {
        return checked.length ? checked.map(function (i) { return i.value; }) : undefined;
      }
      var text = node.inputs[0] ? node.inputs[0].value.trim() : '';
      return text ? text : undefined;
    }

    /** show_if, live: a question shows when its question is shown and the condition holds. */
    updateVisibility() {
      var self = this;
      var visible = {};
      var shown = 0;
      this.questions.forEach(function (q) {
        var show = true;
        var cond = q.show_if;
        if (cond && typeof cond === 'object') {
          var ref = self.byId[cond.question];
          show = !!ref && visible[ref.id] === true && conditionMet(cond, self.answerOf(ref));
        }
        visible[q.id] = show;
        var node = self.nodes[q.id];
        // Numbers count the questions shown: "1. 2. 3.", never "1. 3.".
        if (show) node.number.textContent = (++shown) + '.';
        if (node.wrap.hidden === show) {
          node.wrap.hidden = !show;
          // Disabled inputs leave the tab order while hidden.
          node.inputs.forEach(function (input) { input.disabled = !show; });
          if (!show) self.clearQuestionError(q.id);
        }
      });
      this.visible = visible;
    }

    requiredMessage(q) {
      if (q.type === 'text') return this.t.requiredText;
      if (q.type === 'multi_choice') return this.t.requiredMulti;
      return this.t.requiredChoose;
    }

    collect() {
      var self = this;
      this.updateVisibility();
      var answers = {};
      var problems = [];
      this.questions.forEach(function (q) {
        if (!self.visible[q.id]) return;
        var a = self.answerOf(q);
        if (a === undefined) {
          if (q.required) problems.push([q.id, self.requiredMessage(q)]);
          return;
        }
        if (q.type === 'text' && Array.from(a).length > textLimit(q)) {
          problems.push([q.id, self.t.tooLong(textLimit(q))]);
          return;
        }
        answers[q.id] = a;
      });
      return { answers: answers, problems: problems };
    }

    async submit() {
      if (this.busy || this.done || !this.form) return;
      var t = this.t;
      var collected = this.collect();
      this.clearErrors();
      if (collected.problems.length) {
        var self = this;
        collected.problems.forEach(function (p) { self.showQuestionError(p[0], p[1]); });
        this.showAlert(t.fix, []);
        this.focusQuestion(collected.problems[0][0]);
        return;
      }
      if (!Object.keys(collected.answers).length) {
        this.showAlert(t.atLeastOne, []);
        return;
      }

      var payload = { answers: collected.answers, response_id: this.responseId };
      var respondent = respondentFrom(this.script);
      if (respondent) payload.respondent = respondent;
      if (this.honeypot && this.honeypot.value) payload.website = this.honeypot.value;

      this.setBusy(true);
      var res;
      try {
        res = await fetch(this.base + '/s/' + encodeURIComponent(this.id) + '/responses', {
          method: 'POST',
          mode: 'cors',
          credentials: 'omit',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(payload)
        });
      } catch (e) {
        // Same response_id on the next attempt: if the first one did arrive, it is not doubled.
        this.setBusy(false);
        this.setStatus(t.network, true);
        return;
      }
      if (res.ok) {
        this.finish(collected.answers);
        return;
      }
      var body = null;
      try {
        body = await res.json();
      } catch (e) {
        body = null;
      }
      this.setBusy(false);
      if ((res.status === 422 || res.status === 400) && body && Array.isArray(body.errors) && body.errors.length) {
        this.showServerErrors(body.errors);
      } else if (res.status === 429) {
        this.setStatus(t.tooMany, true);
      } else {
        this.setStatus(t.failed, true);
      }
    }

    finish(answers) {
      this.done = true;
      var t = this.t;
      var message = this.def && this.def.thank_you ? String(this.def.thank_you) : t.thanks;
      var thanks = el('div', { class: 'tj-done', 'data-tingjian-thanks': true, role: 'status', tabindex: '-1' }, [
        el('div', { class: 'tj-check', 'aria-hidden': 'true' }, ['\u2713']),
        el('p', { class: 'tj-done-title' }, [t.thanksTitle]),
        el('p', { class: 'tj-lead' }, [message]),
        this.privacy()
      ]);
      this.frame.replaceChild(thanks, this.form);
      this.form = null;
      // The focused button is gone; move focus to the message so keyboard users are not lost.
      try {
        thanks.focus({ preventScroll: true });
      } catch (e) { /* old browsers: no focus options */ }
      try {
        this.script.dispatchEvent(new CustomEvent('tingjian:submitted', {
          bubbles: true,
          detail: { surveyId: this.id, responseId: this.responseId, answers: answers }
        }));
      } catch (e) { /* CustomEvent unsupported: nothing to notify */ }
    }

    showServerErrors(errors) {
      var self = this;
      var general = [];
      var first = null;
      errors.forEach(function (e) {
        if (!e || typeof e !== 'object') return;
        var field = String(e.field || '');
        var message = String(e.message || '');
        var m = /^\/answers\/(.+)$/.exec(field);
        var id = m ? m[1].replace(/~1/g, '/').replace(/~0/g, '~') : field;
        if (Object.prototype.hasOwnProperty.call(self.nodes, id)) {
          self.showQuestionError(id, message);
          if (first === null) first = id;
        } else if (message) {
          general.push(message);
        }
      });
      if (first !== null) {
        this.showAlert(this.t.fix, general);
        this.focusQuestion(first);
      } else {
        this.showAlert(general.length === 1 ? general[0] : this.t.failed, general.length > 1 ? general : []);
      }
    }

    showQuestionError(id, message) {
      var node = this.nodes[id];
      if (!node) return;
      node.err.textContent = node.err.hidden || !node.err.textContent
        ? message
        : node.err.textContent + (this.t === TEXT.en ? '; ' : '；') + message;
      node.err.hidden = false;
      node.wrap.classList.add('tj-q-invalid');
      node.inputs.forEach(function (input) { input.setAttribute('aria-invalid', 'true'); });
      this.setDescribed(id, true);
    }

    clearQuestionError(id) {
      var node = this.nodes[id];
      if (!node) return;
      node.err.textContent = '';
      node.err.hidden = true;
      node.wrap.classList.remove('tj-q-invalid');
      node.inputs.forEach(function (input) { input.removeAttribute('aria-invalid'); });
      this.setDescribed(id, false);
    }

    clearErrors() {
      var self = this;
      Object.keys(this.nodes).forEach(function (id) { self.clearQuestionError(id); });
      if (this.alert) {
        this.alert.hidden = true;
        this.alert.textContent = '';
      }
      this.setStatus('', false);
    }

    showAlert(title, items) {
      if (!this.alert) return;
      this.alert.textContent = '';
      this.alert.appendChild(el('p', null, [title]));
      if (items.length) {
        this.alert.appendChild(el('ul', null, items.map(function (m) { return el('li', null, [m]); })));
      }
      this.alert.hidden = false;
    }

    focusQuestion(id) {
      var node = this.nodes[id];
      if (!node) return;
      var target = node.inputs.filter(function (i) { return !i.disabled; })[0];
      if (target) target.focus();
      if (node.wrap.scrollIntoView) {
        try {
          node.wrap.scrollIntoView({ block: 'center', behavior: 'smooth' });
        } catch (e) {
          node.wrap.scrollIntoView();
        }
      }
    }

    setBusy(busy) {
      this.busy = busy;
      if (this.button) {
        this.button.disabled = busy;
        this.button.textContent = busy ? this.t.submitting : this.t.submit;
      }
      if (this.form) this.form.setAttribute('aria-busy', busy ? 'true' : 'false');
    }

    setStatus(message, isError) {
      if (!this.status) return;
      this.status.textContent = message;
      this.status.classList.toggle('tj-status-err', !!isError);
    }
  }

  function userError(message) {
    var e = new Error(message);
    e.tjMessage = message;
    return e;
  }

  var SEEN = 'tingjian:seen:';
  var launchers = [];

  /** Whether this browser has been shown the survey as a popup or slide-in already. */
  function seen(id) {
    try {
      return window.localStorage.getItem(SEEN + id) !== null;
    } catch (e) {
      return false; // storage blocked: the in-page flag alone keeps it to once per page
    }
  }

  function markSeen(id) {
    try {
      window.localStorage.setItem(SEEN + id, new Date().toISOString());
    } catch (e) { /* storage blocked or full: nothing to remember it in */ }
  }

  function scrolledPercent() {
    var doc = document.documentElement;
    var total = Math.max(doc.scrollHeight, document.body ? document.body.scrollHeight : 0);
    if (total <= window.innerHeight) return 100;
    return (window.scrollY + window.innerHeight) / total * 100;
  }

  /** A popup or slide-in: armed with its triggers, shown once, closed by its button or Esc. */
  class Launcher {
    constructor(script, id, base, mode) {
      this.script = script;
      this.id = id;
      this.base = base;
      this.mode = mode;
      this.host = null;
      this.busy = false;
      this.shownHere = false;
    }

    arm() {
      var self = this;
      var script = this.script;
      var after = parseFloat(script.getAttribute('data-show-after'));
      if (after >= 0) window.setTimeout(function () { self.show(false); }, after * 1000);
      var at = parseFloat(script.getAttribute('data-show-at-scroll'));
      if (at >= 0) {
        var onScroll = function () {
          if (scrolledPercent() < at) return;
          window.removeEventListener('scroll', onScroll);
          self.show(false);
        };
        window.addEventListener('scroll', onScroll, { passive: true });
        if (document.readyState === 'complete') onScroll();
        else window.addEventListener('load', onScroll);
      }
    }

    /** Shows the survey unless it is showing or was shown before (force: show again). */
    show(force) {
      var self = this;
      if (this.host || this.busy) return false;
      if (!force && (this.shownHere || seen(this.id))) return false;
      this.busy = true;
      var host = document.createElement('tingjian-survey');
      host.setAttribute('data-tingjian-survey', this.id);
      host.setAttribute('data-mode', this.mode);
      host.style.display = 'block';
      var root = host;
      if (typeof host.attachShadow === 'function') {
        try {
          root = host.attachShadow({ mode: 'open' });
        } catch (e) {
          root = host;
        }
      }
      var popup = this.mode === 'popup';
      var close = el('button', { type: 'button', class: 'tj-close', 'data-tingjian-close': true }, ['\u00d7']);
      var box = el('div', { class: 'tj-box' }, [close]);
      var layer = el('div', { class: 'tj-layer ' + (popup ? 'tj-overlay' : 'tj-slide'), hidden: true }, [box]);
      var survey = new Survey(this.script, root, this.id, this.base, box);
      root.appendChild(layer);
      document.body.appendChild(host);
      survey.load().then(function (ok) {
        self.busy = false;
        if (!ok) {
          // Nothing the visitor could act on: no dialog at all.
          host.parentNode && host.parentNode.removeChild(host);
          return;
        }
        self.host = host;
        self.shownHere = true;
        markSeen(self.id);
        var title = survey.def && survey.def.title ? String(survey.def.title) : '';
        box.setAttribute('role', popup ? 'dialog' : 'complementary');
        if (popup) box.setAttribute('aria-modal', 'true');
        box.setAttribute('aria-label', title);
        close.setAttribute('aria-label', survey.t.close);
        close.addEventListener('click', function () { self.close(); });
        self.onKey = function (ev) {
          if (ev.key === 'Escape') self.close();
        };
        if (popup) {
          document.addEventListener('keydown', self.onKey);
          // A click on the dimmed page outside the dialog closes it too.
          layer.addEventListener('click', function (ev) { if (ev.target === layer) self.close(); });
        }
        self.returnFocus = document.activeElement;
        layer.hidden = false;
        if (popup) {
          try {
            close.focus({ preventScroll: true });
          } catch (e) { /* old browsers: no focus options */ }
        }
        try {
          self.script.dispatchEvent(new CustomEvent('tingjian:shown', { bubbles: true, detail: { surveyId: self.id, mode: self.mode } }));
        } catch (e) { /* CustomEvent unsupported */ }
      });
      return true;
    }

    close() {
      if (!this.host) return;
      if (this.onKey) document.removeEventListener('keydown', this.onKey);
      if (this.host.parentNode) this.host.parentNode.removeChild(this.host);
      this.host = null;
      if (this.returnFocus && this.returnFocus.focus) {
        try {
          this.returnFocus.focus({ preventScroll: true });
        } catch (e) { /* the element is gone */ }
      }
    }
  }

  /** Tingjian.show(id, {force}): the host page's own trigger for a popup or slide-in. */
  function show(id, options) {
    var force = !!(options && options.force);
    var found = launchers.filter(function (l) { return l.id === String(id); })[0];
    return found ? found.show(force) : false;
  }

  /** Where the survey goes: data-target, else right after the script (in <body>). */
  function placement(script) {
    var selector = script.getAttribute('data-target');
    if (selector) {
      var target = null;
      try {
        target = document.querySelector(selector);
      } catch (e) {
        target = null;
      }
      if (target) return function (host) { target.appendChild(host); };
      if (document.readyState === 'loading') return null;
      if (window.console && console.warn) console.warn('[tingjian] data-target not found: ' + selector);
    }
    if (!document.body) return null;
    var parent = script.parentNode;
    if (parent && document.body.contains(script)) {
      return function (host) { parent.insertBefore(host, script.nextSibling); };
    }
    return function (host) { document.body.appendChild(host); };
  }

  function mount(script) {
    if (!script || script.hasAttribute(MOUNTED)) return;
    var id = (script.getAttribute('data-survey') || '').trim();
    var base = baseUrl(script);
    if (!id || !base) return;
    var mode = (script.getAttribute('data-mode') || '').trim().toLowerCase();
    if (mode === 'popup' || mode === 'slide-in') {
      if (!document.body) {
        if (document.readyState === 'loading') {
          document.addEventListener('DOMContentLoaded', function () { mount(script); });
        }
        return;
      }
      script.setAttribute(MOUNTED, '');
      var launcher = new Launcher(script, id, base, mode);
      launchers.push(launcher);
      launcher.arm();
      return;
    }
    var place = placement(script);
    if (!place) {
      // The target or <body> is not parsed yet.
      if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', function () { mount(script); });
      }
      return;
    }
    script.setAttribute(MOUNTED, '');
    // A custom element name: generic page rules such as `div { … }` do not match it.
    var host = document.createElement('tingjian-survey');
    host.setAttribute('data-tingjian-survey', id);
    host.style.display = 'block';
    place(host);
    var root = host;
    if (typeof host.attachShadow === 'function') {
      try {
        root = host.attachShadow({ mode: 'open' });
      } catch (e) {
        root = host;
      }
    }
    new Survey(script, root, id, base, null).load();
  }

  /** Mounts every embed tag not mounted yet (several on one page are fine, each once). */
  function scan(extra) {
    var seen = [];
    var add = function (s) {
      if (s && s.tagName === 'SCRIPT' && s.getAttribute('src') && s.hasAttribute('data-survey') && seen.indexOf(s) < 0) {
        seen.push(s);
      }
    };
    add(extra);
    add(document.currentScript);
    Array.prototype.forEach.call(document.querySelectorAll('script[data-survey]'), add);
    seen.forEach(mount);
  }

  window.Tingjian = { version: VERSION, scan: scan, mount: mount, show: show };
  scan();
  try {
    document.dispatchEvent(new CustomEvent('tingjian:ready'));
  } catch (e) { /* CustomEvent unsupported */ }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { scan(); });
  }
})();
