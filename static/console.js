// 听见 Tingjian console: the little JavaScript the pages use. Pages work as plain HTML; this
// adds what HTML alone cannot: forms and buttons that call the JSON API with the session's
// CSRF token, in-place label corrections, bulk selection, copy buttons. Text from the server
// is only ever inserted with textContent, never as markup.
"use strict";

(function () {
  const body = document.body;
  const workspace = body.dataset.workspace || "";

  // Chinese words for the API's error codes; the API's own detail follows where it helps.
  const MESSAGES = {
    unauthorized: "登录已过期，请刷新页面重新登录。",
    csrf_failed: "页面已过期（缺少安全令牌），请刷新后再试。",
    role_forbidden: "你在这个工作区的角色没有这个权限。",
    forbidden: "没有权限执行这个操作。",
    not_found: "要操作的对象不存在，可能已被删除。请刷新页面。",
    conflict: "这个操作与当前状态冲突：",
    validation_failed: "有内容需要修改：",
    rate_limited: "操作太频繁，请稍后再试。",
    payload_too_large: "内容太大了。",
    internal: "服务出错了，请稍后再试。",
    unavailable: "数据库暂时不可用，请稍后再试。",
    feed_unreachable: "读取失败：",
    tool_unreachable: "读取失败：",
  };

  function toast(text) {
    const el = document.querySelector(".toast");
    if (!el) return;
    el.textContent = text;
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { el.hidden = true; }, 3200);
  }

  function problemText(status, data) {
    if (!data || typeof data !== "object") {
      return status >= 500 ? MESSAGES.internal : "请求失败（" + status + "）。";
    }
    let text = MESSAGES[data.code] || "请求失败：";
    if (["conflict", "validation_failed", "feed_unreachable", "tool_unreachable"].includes(data.code) || !MESSAGES[data.code]) {
      if (Array.isArray(data.errors) && data.errors.length) {
        text += "\n" + data.errors.map((e) => "· " + (e.field || "") + " " + (e.message || "")).join("\n");
      } else if (data.detail) {
        text += data.detail;
      }
    }
    return text;
  }

  async function api(method, url, payload, csrf) {
    const headers = { "X-Tingjian-Workspace": workspace, "Accept": "application/json" };
    if (csrf) headers["X-CSRF-Token"] = csrf;
    const init = { method, headers, credentials: "same-origin" };
    if (payload !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(payload);
    }
    let res;
    try {
      res = await fetch(url, init);
    } catch (e) {
      return { ok: false, status: 0, data: null, text: "无法连接到服务，请检查网络后再试。" };
    }
    let data = null;
    const type = res.headers.get("content-type") || "";
    if (type.includes("json")) {
      try { data = await res.json(); } catch (e) { data = null; }
    }
    return { ok: res.ok, status: res.status, data, text: res.ok ? "" : problemText(res.status, data) };
  }

  // "PATCH /api/v1/members/x" → ["PATCH", "/api/v1/members/x"]
  function target(spec) {
    const i = spec.indexOf(" ");
    return i < 0 ? ["POST", spec] : [spec.slice(0, i).toUpperCase(), spec.slice(i + 1)];
  }

  function setPath(obj, path, value) {
    const parts = path.split(".");
    let o = obj;
    for (let i = 0; i < parts.length - 1; i++) {
      if (typeof o[parts[i]] !== "object" || o[parts[i]] === null) o[parts[i]] = {};
      o = o[parts[i]];
    }
    o[parts[parts.length - 1]] = value;
  }

  function getPath(obj, path) {
    return path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);
  }

  // The JSON a form sends: names with dots nest; names ending in [] collect every checked or
  // selected value; data-type says how to read a value (number, bool, lines, paragraphs:
  // one per line, json); empty
  // fields marked data-optional are left out.
  function formPayload(form) {
    const out = {};
    const lists = {};
    for (const el of form.elements) {
      if (!el.name || el.name === "csrf_token" || el.disabled || el.dataset.skip !== undefined) continue;
      const type = el.dataset.type || "";
      let name = el.name;
      if (name.endsWith("[]")) {
        name = name.slice(0, -2);
        if (!(name in lists)) lists[name] = [];
        if (el.type === "checkbox" || el.type === "radio") {
          if (el.checked) lists[name].push(el.value);
        } else if (el.tagName === "SELECT" && el.multiple) {
          for (const o of el.selectedOptions) lists[name].push(o.value);
        } else if (el.value.trim() !== "") {
          lists[name].push(el.value.trim());
        }
        continue;
      }
      if (el.type === "radio" && !el.checked) continue;
      if (el.type === "checkbox" && type === "bool") { setPath(out, name, el.checked); continue; }
      if (el.type === "checkbox" && !el.checked) continue;
      let value = el.value;
      if (value.trim() === "" && el.dataset.optional !== undefined) continue;
      if (type === "number") value = value.trim() === "" ? null : Number(value);
      else if (type === "lines") value = value.split(/[\n,，、]/).map((s) => s.trim()).filter(Boolean);
      else if (type === "paragraphs") value = value.split(/\n/).map((s) => s.trim()).filter(Boolean);
      else if (type === "json") {
        try { value = value.trim() === "" ? null : JSON.parse(value); } catch (e) { throw new Error((el.dataset.label || name) + " 不是有效的 JSON"); }
      } else if (type === "null-if-empty" && value.trim() === "") value = null;
      else if (el.tagName !== "TEXTAREA") value = value.trim();
      setPath(out, name, value);
    }
    for (const [name, values] of Object.entries(lists)) setPath(out, name, values);
    return out;
  }

  function statusEl(scope) {
    return scope.querySelector(".form-status");
  }

  function showStatus(scope, text, ok) {
    const el = statusEl(scope);
    if (el) {
      el.textContent = text;
      el.classList.toggle("ok", !!ok);
      el.hidden = !text;
    } else if (text) {
      toast(text);
    }
  }

  // What happens after a call succeeds: data-then="reload", "go:URL" ({field} from the
  // answer), "show-link" / "show-secret" (fills the nearest .reveal), "toast:文字", "remove",
  // "event" (a "tj:done" event carrying the answer, for a page's own script).
  function after(el, data) {
    const then = el.dataset.then || "reload";
    if (then === "reload") { location.reload(); return; }
    if (then.startsWith("go:")) {
      const url = then.slice(3).replace(/\{([a-z_.]+)\}/g, (_, k) => encodeURIComponent(getPath(data || {}, k) ?? ""));
      location.assign(url);
      return;
    }
    if (then.startsWith("toast:")) { toast(then.slice(6)); return; }
    // A page's own script takes it from here (see the page's section at the end of this file).
    if (then === "event") { el.dispatchEvent(new CustomEvent("tj:done", { bubbles: true, detail: data })); return; }
    if (then === "remove") { const row = el.closest("[data-row]"); if (row) row.remove(); return; }
    if (then === "show-link" || then === "show-secret") {
      const section = el.closest("section, .card, main") || document;
      const reveal = section.querySelector(".reveal");
      if (!reveal) { location.reload(); return; }
      for (const f of reveal.querySelectorAll("[data-field]")) {
        const key = f.dataset.field;
        if (key === "mailed") {
          f.textContent = data && data.mailed ? "（已发送到对方邮箱）" : "（邮件没有发出，请复制链接发给对方）";
        } else {
          const v = getPath(data || {}, key);
          f.textContent = v != null ? String(v)
            : data && data.link_withheld ? "（对方也是其他工作区的成员，链接只发到对方的邮箱）"
            : "（无：对方已设置过密码，可直接登录）";
        }
      }
      reveal.hidden = false;
      reveal.scrollIntoView({ block: "nearest" });
    }
  }

  document.addEventListener("submit", async (ev) => {
    const form = ev.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.api) return;
    ev.preventDefault();
    let payload;
    try {
      payload = form.dataset.bulk !== undefined ? bulkPayload(form) : formPayload(form);
    } catch (e) {
      showStatus(form, e.message);
      return;
    }
    if (payload === null) return;
    if (form.dataset.confirm && !confirm(form.dataset.confirm)) return;
    const [method, url] = target(form.dataset.api);
    const csrfField = form.querySelector('input[name="csrf_token"]');
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    showStatus(form, "");
    const res = await api(method, url, method === "DELETE" ? undefined : payload, csrfField ? csrfField.value : "");
    buttons.forEach((b) => { b.disabled = false; });
    if (!res.ok) { showStatus(form, res.text); return; }
    if (form.dataset.reset !== undefined) form.reset();
    after(form, res.data);
  });

  document.addEventListener("click", async (ev) => {
    const button = ev.target.closest("button[data-api]");
    if (button) {
      ev.preventDefault();
      if (button.dataset.confirm && !confirm(button.dataset.confirm)) return;
      const [method, url] = target(button.dataset.api);
      let payload;
      if (button.dataset.body) {
        try { payload = JSON.parse(button.dataset.body); } catch (e) { payload = undefined; }
      } else if (method !== "DELETE" && method !== "GET") {
        payload = {};
      }
      button.disabled = true;
      const res = await api(method, url, payload, body.dataset.csrf);
      button.disabled = false;
      const scope = button.closest("form, section, .card, tr") || document.body;
      if (!res.ok) { showStatus(scope, res.text); return; }
      after(button, res.data);
      return;
    }
    const copy = ev.target.closest("[data-copy], [data-copy-from]");
    if (copy) {
      ev.preventDefault();
      let text = copy.dataset.copy;
      if (text === undefined) {
        const scope = copy.closest("section, .card, .reveal") || document;
        const src = scope.querySelector('[data-field="' + copy.dataset.copyFrom + '"], #' + CSS.escape(copy.dataset.copyFrom));
        text = src ? (src.value !== undefined && src.tagName === "TEXTAREA" ? src.value : src.textContent) : "";
      }
      try {
        await navigator.clipboard.writeText(text);
        toast("已复制");
      } catch (e) {
        toast("复制失败，请手动选择复制");
      }
    }
  });

  // A select that saves when changed.
  document.addEventListener("change", (ev) => {
    const el = ev.target;
    if (el.matches("select[data-autosubmit]") && el.form) el.form.requestSubmit();
    if (el.matches(".pick input[type=checkbox], input[data-pick-all]")) updateBulk(el);
  });

  // Bulk selection in the inbox: the checked items' ids go with the bulk form.
  function picked() {
    return Array.from(document.querySelectorAll(".pick input[type=checkbox]:checked")).map((c) => c.value);
  }

  function updateBulk(el) {
    if (el && el.matches("input[data-pick-all]")) {
      for (const c of document.querySelectorAll(".pick input[type=checkbox]")) c.checked = el.checked;
    }
    const n = picked().length;
    const bar = document.querySelector(".bulk");
    if (!bar) return;
    bar.hidden = n === 0;
    const count = bar.querySelector("[data-picked]");
    if (count) count.textContent = String(n);
  }

  function bulkPayload(form) {
    const ids = picked();
    if (!ids.length) { showStatus(form, "先勾选要修正的反馈。"); return null; }
    const p = formPayload(form);
    p.ids = ids;
    for (const k of ["add_pain_points", "remove_pain_points"]) {
      if (Array.isArray(p[k]) && !p[k].length) delete p[k];
    }
    if (p.sentiment === "") delete p.sentiment;
    return p;
  }

  // For the areas' own sections below.
  window.tingjian = { api, showStatus, toast, problemText };

  updateBulk(null);
})();

// ---- Surveys: the builder ---------------------------------------------------------------
// Builds the survey's JSON from the builder's form (one fieldset per question), saves it with
// POST or PATCH /api/v1/surveys, and shows the API's validation errors next to the form and
// on the questions they name.
(function () {
  const form = document.querySelector("form[data-survey-builder]");
  if (!form || !window.tingjian) return;
  const list = form.querySelector("[data-questions]");
  const template = document.getElementById("question-template");

  const FIELD_NAMES = {
    title: "标题", description: "说明", thank_you: "感谢语", language: "答题语言",
    questions: "问题", allowed_origins: "允许嵌入的网站", type: "题型", options: "选项",
    placeholder: "输入框提示", show_if: "显示条件", question: "条件题目", any_of: "条件选项",
    min: "最低分", max: "最高分", id: "题目编号", required: "必填",
    product_name: "产品名称", logo_url: "标志图片地址", accent_color: "主题色", privacy_url: "隐私说明链接",
  };
  const MESSAGE_WORDS = [
    [/^is required$/, "必须填写"],
    [/^must not be empty$/, "不能为空"],
    [/^must be at most (\d+) characters$/, "最多 $1 个字"],
    [/^duplicate option$/, "选项重复了"],
    [/^an? \w+ question needs (\d+) to (\d+) options$/, "需要 $1 到 $2 个选项"],
    [/^needs at least one question$/, "至少要有一道题"],
    [/^must be the id of an earlier question$/, "只能引用它前面的题目"],
    [/^duplicate id/, "题目编号重复"],
    [/^must start with http:\/\/ or https:\/\/$/, "要以 http:// 或 https:// 开头"],
    [/^must start with https:\/\/ /, "要以 https:// 开头（https 网页不显示 http 图片）"],
    [/^must be an absolute URL$/, "要是完整的网址，如 https://example.com/logo.png"],
    [/^must be a hex colour/, "要是十六进制颜色，如 #1a66d9"],
  ];

  function questions() { return Array.from(list.querySelectorAll("[data-question]")); }
  function field(q, name) { return q.querySelector('[data-field="' + name + '"]'); }
  function kindOf(q) { return field(q, "type").selectedOptions[0]; }

  function newId() {
    const used = new Set(questions().map((q) => q.dataset.qid));
    let i = questions().length + 1;
    while (used.has("q" + i)) i++;
    return "q" + i;
  }

  // Shows the fields that belong to the question's type and to its condition's target.
  function refresh() {
    const qs = questions();
    qs.forEach((q, i) => {
      q.querySelector("[data-number]").textContent = String(i + 1);
      const kind = kindOf(q);
      q.dataset.type = kind.value;
      const choice = kind.dataset.choice === "true";
      q.querySelector('[data-for="choice"]').hidden = !choice;
      q.querySelector('[data-for="text"]').hidden = kind.value !== "text";
      q.querySelector('[data-move="up"]').disabled = i === 0;
      q.querySelector('[data-move="down"]').disabled = i === qs.length - 1;
      // A condition may only name an earlier question that is a score or a choice.
      const sel = field(q, "show_if");
      const current = sel.value || sel.dataset.current || "";
      sel.dataset.current = "";
      while (sel.options.length > 1) sel.remove(1);
      qs.slice(0, i).forEach((p, j) => {
        const pk = kindOf(p);
        if (pk.value === "text") return;
        const title = field(p, "title").value.trim() || "（未填题目）";
        const o = new Option("第 " + (j + 1) + " 题：" + title.slice(0, 30) + " 的回答满足…", p.dataset.qid);
        o.dataset.score = pk.dataset.score;
        sel.add(o);
      });
      sel.value = Array.from(sel.options).some((o) => o.value === current) ? current : "";
      const target = sel.selectedOptions[0];
      const mode = !sel.value ? "" : (target && target.dataset.score === "true" ? "score" : "choice");
      q.querySelectorAll("[data-cond]").forEach((el) => { el.hidden = el.dataset.cond !== mode; });
    });
  }

  function lines(text) {
    return text.split(/\n/).map((s) => s.trim()).filter(Boolean);
  }

  function numberOrNull(el) {
    const v = el.value.trim();
    return v === "" ? null : Number(v);
  }

  function payload() {
    const out = {
      title: form.elements.title.value.trim(),
      description: form.elements.description.value.trim() || null,
      thank_you: form.elements.thank_you.value.trim() || null,
      language: form.elements.language.value,
      allowed_origins: form.elements.allowed_origins.value.split(/[\s,，]+/).map((s) => s.trim()).filter(Boolean),
      product_name: form.elements.product_name.value.trim() || null,
      logo_url: form.elements.logo_url.value.trim() || null,
      accent_color: form.elements.accent_color.value.trim() || null,
      privacy_url: form.elements.privacy_url.value.trim() || null,
      questions: [],
    };
    for (const q of questions()) {
      const kind = kindOf(q);
      const item = {
        id: q.dataset.qid,
        type: kind.value,
        title: field(q, "title").value.trim(),
        required: field(q, "required").checked,
      };
      const description = field(q, "description").value.trim();
      if (description) item.description = description;
      if (kind.dataset.choice === "true") item.options = lines(field(q, "options").value);
      if (kind.value === "text") {
        const ph = field(q, "placeholder").value.trim();
        if (ph) item.placeholder = ph;
      }
      const cond = field(q, "show_if");
      if (cond.value) {
        const target = cond.selectedOptions[0];
        const show = { question: cond.value };
        if (target.dataset.score === "true") {
          const min = numberOrNull(field(q, "min"));
          const max = numberOrNull(field(q, "max"));
          if (min !== null) show.min = min;
          if (max !== null) show.max = max;
        } else {
          show.any_of = lines(field(q, "any_of").value);
        }
        item.show_if = show;
      }
      out.questions.push(item);
    }
    return out;
  }

  // "/questions/2/options/1" → "第 3 题 · 选项 · 第 2 项"
  function where(pointer) {
    const parts = (pointer || "").split("/").filter(Boolean);
    const words = [];
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (p === "questions" && /^\d+$/.test(parts[i + 1] || "")) { words.push("第 " + (Number(parts[i + 1]) + 1) + " 题"); i++; continue; }
      if (/^\d+$/.test(p)) { words.push("第 " + (Number(p) + 1) + " 项"); continue; }
      words.push(FIELD_NAMES[p] || p);
    }
    return words.join(" · ");
  }

  function say(message) {
    for (const [re, zh] of MESSAGE_WORDS) if (re.test(message)) return message.replace(re, zh);
    return message;
  }

  function showErrors(errors) {
    questions().forEach((q) => q.removeAttribute("aria-invalid"));
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    const status = form.querySelector(".form-status");
    status.textContent = "";
    status.classList.remove("ok");
    const head = document.createElement("p");
    head.textContent = "有内容需要修改：";
    status.appendChild(head);
    const ul = document.createElement("ul");
    for (const e of errors) {
      const li = document.createElement("li");
      li.textContent = (where(e.field) || "问卷") + "：" + say(e.message || "");
      ul.appendChild(li);
      const m = /^\/questions\/(\d+)/.exec(e.field || "");
      if (m && questions()[Number(m[1])]) questions()[Number(m[1])].setAttribute("aria-invalid", "true");
      const top = /^\/(title|description|thank_you|allowed_origins|language|product_name|logo_url|accent_color|privacy_url)/.exec(e.field || "");
      if (top && form.elements[top[1]]) form.elements[top[1]].setAttribute("aria-invalid", "true");
    }
    status.appendChild(ul);
    status.hidden = false;
    status.scrollIntoView({ block: "nearest" });
  }

  // The refused-embed warning: one click puts the site into the allowed origins (saved with
  // the form, like any other change).
  form.addEventListener("click", (ev) => {
    const b = ev.target.closest("[data-add-origin]");
    if (!b) return;
    const box = form.elements.allowed_origins;
    const have = box.value.split(/[\s,，]+/).map((s) => s.trim()).filter(Boolean);
    if (!have.includes(b.dataset.addOrigin)) box.value = have.concat(b.dataset.addOrigin).join("\n");
    b.disabled = true;
    b.textContent = "已加入，保存后生效";
    box.focus();
  });

  list.addEventListener("click", (ev) => {
    const q = ev.target.closest("[data-question]");
    if (!q) return;
    if (ev.target.closest("[data-remove]")) {
      if (questions().length <= 1) { window.tingjian.toast("问卷至少要有一道题。"); return; }
      q.remove();
    } else if (ev.target.closest('[data-move="up"]') && q.previousElementSibling) {
      list.insertBefore(q, q.previousElementSibling);
    } else if (ev.target.closest('[data-move="down"]') && q.nextElementSibling) {
      list.insertBefore(q.nextElementSibling, q);
    } else {
      return;
    }
    refresh();
  });
  list.addEventListener("change", refresh);
  list.addEventListener("input", (ev) => { if (ev.target.matches('[data-field="title"]')) refresh(); });

  form.querySelector("[data-add-question]").addEventListener("click", () => {
    const q = template.content.firstElementChild.cloneNode(true);
    q.dataset.qid = newId();
    field(q, "type").value = form.querySelector("[data-add-type]").value;
    list.appendChild(q);
    refresh();
    field(q, "title").focus();
  });

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    ev.stopImmediatePropagation();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    const csrf = form.querySelector('input[name="csrf_token"]').value;
    const res = await window.tingjian.api(form.dataset.method, form.dataset.url, payload(), csrf);
    button.disabled = false;
    if (res.ok) {
      location.assign(form.dataset.editUrl.replace("{id}", encodeURIComponent(res.data.id)));
    } else if (res.data && Array.isArray(res.data.errors) && res.data.errors.length) {
      showErrors(res.data.errors);
    } else {
      window.tingjian.showStatus(form, res.text);
    }
  });

  refresh();
})();

// ---------------------------------------------------------------------------------------
// Manage pages (sources, CSV import, interviews, keys): showing a new secret once, the
// connect form's choice of tool, files read into fields, and the CSV import with its row
// report. Everything from the server or a file goes in with textContent or .value.
(function () {
  const body = document.body;

  function say(text) {
    const el = document.querySelector(".toast");
    if (!el) return;
    el.textContent = text;
    el.hidden = false;
    setTimeout(() => { el.hidden = true; }, 3200);
  }

  function valueAt(obj, path) {
    return path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);
  }

  // The connect form: one form per kind of source, the select shows one.
  document.addEventListener("change", (ev) => {
    const el = ev.target;
    if (el.matches("select[data-choose]")) {
      const scope = el.closest("section") || document;
      for (const f of scope.querySelectorAll("[data-choice]")) f.hidden = f.dataset.choice !== el.value;
    }
    if (el.matches("input[type=file][data-read-into]")) readInto(el);
    if (el.matches("input[data-time-into]")) {
      const hidden = el.form && el.form.elements[el.dataset.timeInto];
      if (hidden) hidden.value = el.value ? el.value + (el.value.length === 16 ? ":00" : "") + (el.dataset.offset || "") : "";
    }
    if (el.matches("form[data-import] input[type=file]")) readHeader(el);
  });

  // A text file's content: UTF-8, else GB18030 (what Chinese Windows saves).
  function decode(buf) {
    const bytes = new Uint8Array(buf);
    if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes);
    try { return new TextDecoder("utf-8", { fatal: true }).decode(bytes); } catch (e) { /* not UTF-8 */ }
    try { return new TextDecoder("gb18030").decode(bytes); } catch (e) { return new TextDecoder().decode(bytes); }
  }

  async function readInto(input) {
    const file = input.files && input.files[0];
    const form = input.form;
    if (!file || !form) return;
    const target = form.elements[input.dataset.readInto];
    if (target) target.value = decode(await file.arrayBuffer()).replace(/^\uFEFF/, "");
    const lower = file.name.toLowerCase();
    const format = form.elements[input.dataset.formatInto || ""];
    if (format) format.value = lower.endsWith(".srt") ? "srt" : lower.endsWith(".vtt") ? "vtt" : "text";
    const title = form.elements[input.dataset.titleInto || ""];
    if (title && !title.value.trim()) title.value = file.name.replace(/\.[^.]+$/, "");
  }

  // After a source is made or its secret renewed: the answer's fields, shown once.
  document.addEventListener("tj:done", (ev) => {
    const el = ev.target;
    const data = ev.detail || {};
    if (el.dataset.done === "poll") {
      let text = "读到 " + (data.fetched ?? 0) + " 条，新增 " + (data.stored ?? 0) + " 条";
      if (data.not_modified) text = "订阅没有更新";
      if (data.empty) text = "应用商店没有返回评价（可能被限流），稍后会再读";
      say(text);
      setTimeout(() => location.reload(), 1500);
      return;
    }
    const card = el.dataset.reveal && document.getElementById(el.dataset.reveal);
    if (!card) { location.reload(); return; }
    for (const f of card.querySelectorAll("[data-field]")) {
      const v = valueAt(data, f.dataset.field);
      f.textContent = v == null ? "" : String(v);
    }
    for (const row of card.querySelectorAll("[data-field-row]")) {
      const v = valueAt(data, row.dataset.fieldRow);
      row.hidden = v == null || v === "";
    }
    const title = card.querySelector("[data-reveal-title]");
    if (title) title.textContent = el.dataset.revealTitle || "已创建";
    if (el instanceof HTMLFormElement) el.reset();
    card.hidden = false;
    card.scrollIntoView({ block: "start" });
  });

  // CSV import: the header row offers the columns; the file goes as it is.
  const GUESSES = {
    text: ["反馈", "内容", "评论", "意见", "建议", "留言", "评价内容", "text", "comment", "feedback", "review"],
    occurred_at: ["提交时间", "时间", "日期", "date", "time"],
    rating: ["星级", "星", "rating", "stars"],
    nps: ["nps", "推荐"],
    csat: ["满意度", "csat"],
    respondent_id: ["用户id", "用户 id", "会员id", "user id", "user_id", "uid"],
    author: ["昵称", "作者", "用户名", "author", "nickname"],
    external_id: ["序号", "编号", "答卷编号", "id"],
  };

  function splitRow(line, sep) {
    const out = [];
    let cur = "";
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quoted) {
        if (c === '"') { if (line[i + 1] === '"') { cur += '"'; i++; } else quoted = false; } else cur += c;
      } else if (c === '"') quoted = true;
      else if (c === sep) { out.push(cur.trim()); cur = ""; } else cur += c;
    }
    out.push(cur.trim());
    return out;
  }

  // A rejected row's reason (the server's words after the column's name) in Chinese.
  const REASONS = [
    [/text must not be empty/, "内容为空"],
    [/text is longer than (\d+) characters/, "内容超过 $1 个字"],
    [/text must not contain NUL characters/, "内容含有无效字符"],
    [/must be an integer from (\d+) to (\d+), got "(.*)"/, "分数应为 $1 到 $2 的整数，这里是“$3”"],
    [/unrecognised date "(.*?)" \(.*\)/, "看不懂的日期“$1”（可以写 2024-05-01 14:30、2024/05/01、2024年05月01日）"],
    [/longer than (\d+) characters/, "超过 $1 个字"],
    [/unreadable row: .*/, "这一行无法读取（引号或分隔符不成对）"],
  ];

  function reasonWords(reason) {
    for (const [pattern, words] of REASONS) {
      if (pattern.test(reason)) return reason.replace(pattern, words);
    }
    return reason;
  }

  async function readHeader(input) {
    const form = input.form;
    const box = form.querySelector(".import-columns");
    const file = input.files && input.files[0];
    if (!file || !box) return;
    const buf = await file.slice(0, 65536).arrayBuffer();
    const bytes = new Uint8Array(buf);
    let text;
    if (bytes[0] === 0xff && bytes[1] === 0xfe) {
      text = new TextDecoder("utf-16le").decode(bytes);
    } else {
      // Only whole lines: a cut multi-byte character must not make UTF-8 look like GBK.
      const end = bytes.lastIndexOf(0x0a);
      text = decode(end > 0 ? bytes.slice(0, end) : bytes);
    }
    const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
    let sep = null;
    if (/^sep=.$/i.test(lines[0] || "")) { sep = lines[0].slice(4, 5); lines.shift(); }
    const head = lines[0] || "";
    if (!sep) {
      const count = (c) => head.split(c).length - 1;
      sep = count("\t") > 0 ? "\t" : count(";") > count(",") ? ";" : ",";
    }
    const columns = splitRow(head, sep);
    box.querySelector("[data-col-count]").textContent = String(columns.length);
    const used = new Set();
    for (const select of box.querySelectorAll("select[data-map]")) {
      select.length = 1;
      columns.forEach((name, i) => {
        const o = document.createElement("option");
        o.value = "#" + (i + 1);
        o.textContent = "第 " + (i + 1) + " 列：" + (name || "（无列名）");
        select.append(o);
      });
      const key = select.dataset.map;
      if (key === "csat" && used.has("rating")) continue;
      const words = GUESSES[key] || [];
      const hit = columns.findIndex((name, i) => !used.has(i) && words.some((w) => name.toLowerCase().includes(w)));
      if (hit >= 0) { select.value = "#" + (hit + 1); used.add(hit); used.add(key); }
    }
    const attrs = box.querySelector("[data-attr-choices]");
    attrs.replaceChildren();
    columns.forEach((name, i) => {
      if (!name) return;
      const label = document.createElement("label");
      const cb = document.createElement("input");
      cb.type = "checkbox";
      cb.value = "#" + (i + 1);
      cb.dataset.attr = name.slice(0, 20);
      cb.dataset.skip = "";
      label.append(cb, " " + name);
      attrs.append(label);
    });
    box.hidden = false;
  }

  document.addEventListener("submit", async (ev) => {
    const form = ev.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.import) return;
    ev.preventDefault();
    const status = form.querySelector(".form-status");
    const show = (text, ok) => { if (status) { status.textContent = text; status.classList.toggle("ok", !!ok); status.hidden = !text; } };
    const file = form.querySelector("input[type=file]").files[0];
    if (!file) { show("先选择一个 CSV 文件。"); return; }
    const q = new URLSearchParams();
    q.append("source", form.elements.source.value.trim() || "csv");
    for (const select of form.querySelectorAll("select[data-map]")) {
      if (select.value) q.append("map", select.dataset.map + "=" + select.value);
    }
    if (!q.getAll("map").some((m) => m.startsWith("text="))) { show("请选择哪一列是反馈内容。"); return; }
    for (const cb of form.querySelectorAll("[data-attr-choices] input:checked")) q.append("map", "attr." + cb.dataset.attr + "=" + cb.value);
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    show("正在导入，文件大时需要一会儿……", true);
    let res;
    let data = null;
    try {
      res = await fetch(form.dataset.import + "?" + q.toString(), {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "text/csv",
          "Accept": "application/json",
          "X-CSRF-Token": form.elements.csrf_token.value,
          "X-Tingjian-Workspace": body.dataset.workspace || "",
        },
        body: file,
      });
      data = await res.json().catch(() => null);
    } catch (e) {
      button.disabled = false;
      show("无法连接到服务，请检查网络后再试。");
      return;
    }
    button.disabled = false;
    if (!res.ok) {
      const errors = data && Array.isArray(data.errors) ? data.errors.map((e) => e.message).join("\n") : "";
      show("没有导入：" + (errors || (data && data.detail) || "请求失败（" + res.status + "）"));
      return;
    }
    show("");
    const report = document.querySelector(".import-report");
    const rejected = data.rejected || [];
    for (const [key, v] of [["accepted", data.accepted], ["stored", data.stored], ["duplicates", data.duplicates], ["rejected", rejected.length]]) {
      report.querySelector('[data-report="' + key + '"]').textContent = String(v ?? 0);
    }
    const rows = report.querySelector("[data-report-rows]");
    rows.replaceChildren();
    const SHOWN = 200;
    for (const r of rejected.slice(0, SHOWN)) {
      const tr = document.createElement("tr");
      const row = document.createElement("td");
      row.className = "num";
      row.textContent = String(r.row);
      const reason = document.createElement("td");
      reason.dataset.label = "原因";
      reason.textContent = reasonWords(r.reason);
      tr.append(row, reason);
      rows.append(tr);
    }
    report.querySelector("[data-report-rejected]").hidden = rejected.length === 0;
    const more = report.querySelector("[data-report-more]");
    more.hidden = rejected.length <= SHOWN;
    more.textContent = "还有 " + (rejected.length - SHOWN) + " 行没有列出。";
    const inbox = report.querySelector("[data-report-inbox]");
    if (inbox) inbox.href = body.dataset.base + "/inbox?source=" + encodeURIComponent("import:" + q.get("source"));
    report.hidden = false;
    report.scrollIntoView({ block: "start" });
  });
})();

// ---- Everyday pages (home, pain points): the period picker ------------------------------
// Choosing a date means a period of one's own: 自定义 is selected with it, so the dates are
// not silently ignored in favour of 近 7 天 when the form is applied.
(function () {
  document.addEventListener("change", (ev) => {
    const el = ev.target;
    if (!(el instanceof HTMLInputElement) || !el.matches('form.picker input[type="date"]')) return;
    const custom = el.form && el.form.querySelector('input[name="period"][value="custom"]');
    if (custom) custom.checked = true;
  });
})();
