// Page-wide behaviour that Gradio's own components lack. ui/app.py inlines this file in <head>
// after setting window.KB_MAX_UPLOAD_BYTES (the server's upload limit).
(() => {
  const root = document.documentElement;

  // <html lang="vi">: Gradio writes lang="en" and resets it to its locale after loading; screen
  // readers and hyphenation read it, so it is put back whenever it changes.
  const keepLang = () => { if (root.lang !== "vi") root.lang = "vi"; };
  keepLang();
  new MutationObserver(keepLang).observe(root, {attributes: true, attributeFilter: ["lang"]});

  const ready = (fn) => (document.readyState === "loading" ? document.addEventListener("DOMContentLoaded", fn) : fn());
  const shown = (el) => el && el.getClientRects().length > 0;

  // Skip link (WCAG 2.4.1): the first Tab stop jumps past the title and the tab strip to the open tab.
  ready(() => {
    const skip = document.createElement("a");
    skip.className = "kb-skip";
    skip.href = "#kb-main";
    skip.textContent = "Chuyển đến nội dung chính";
    skip.addEventListener("click", (ev) => {
      ev.preventDefault();
      const panel = Array.from(document.querySelectorAll('[role="tabpanel"]')).find(shown);
      if (!panel) return;
      panel.setAttribute("tabindex", "-1");
      panel.focus();
      panel.scrollIntoView({block: "start"});
    });
    document.body.prepend(skip);
  });

  // Tabs as the ARIA pattern has them: one Tab stop for the strip (the open tab), arrow keys, Home
  // and End move between tabs and open them. Gradio leaves every tab in the Tab order and ignores arrows.
  const visibleTabs = (list) => Array.from(list.querySelectorAll('[role="tab"]'))
    .filter((t) => shown(t) && t.getAttribute("aria-disabled") !== "true");
  const rove = () => {
    document.querySelectorAll('[role="tablist"]').forEach((list) => {
      list.querySelectorAll('[role="tab"]').forEach((t) => {
        const want = t.getAttribute("aria-selected") === "true" ? "0" : "-1";
        if (t.getAttribute("tabindex") !== want) t.setAttribute("tabindex", want);
      });
    });
    labels();
  };
  // Labels Gradio writes in English (or as an untranslated key) that screen readers read.
  const LABELS = {
    "More tabs": "Các thẻ khác", "Click to upload or drop files": "Bấm để chọn tệp hoặc kéo thả tệp vào đây",
    "File upload": "Chọn tệp", "Close": "Đóng", "close": "Đóng", "common.upload": "Tải thêm tệp",
  };
  const labels = () => {
    for (const attr of ["aria-label", "title"]) {
      document.querySelectorAll(`[${attr}]`).forEach((el) => {
        const vi = LABELS[el.getAttribute(attr)];
        if (vi) el.setAttribute(attr, vi);
      });
    }
    // Gradio's "upload more" icon button wraps the upload button (a button inside a button, which
    // screen readers flatten): the outer one becomes a labelled group out of the Tab order, so keyboard
    // and screen-reader users meet one control, the inner one.
    document.querySelectorAll("button.icon-button").forEach((b) => {
      if (b.querySelector("button") && b.getAttribute("role") !== "group") {
        b.setAttribute("role", "group");
        b.setAttribute("tabindex", "-1");
      }
    });
  };
  document.addEventListener("keydown", (ev) => {
    const tab = ev.target instanceof Element ? ev.target.closest('[role="tab"]') : null;
    const list = tab && tab.closest('[role="tablist"]');
    if (!list) return;
    const tabs = visibleTabs(list);
    const i = tabs.indexOf(tab);
    const j = {ArrowRight: i + 1, ArrowDown: i + 1, ArrowLeft: i - 1, ArrowUp: i - 1, Home: 0, End: tabs.length - 1}[ev.key];
    if (i < 0 || j === undefined) return;
    ev.preventDefault();
    const next = tabs[(j + tabs.length) % tabs.length];
    next.click();
    next.focus();
    requestAnimationFrame(() => { rove(); next.focus(); });
  });

  // Gradio's upload refuses a file over the limit with an English toast ("File(s) exceed the maximum
  // allowed size of 20.0 Mb") and leaves the box saying "Lỗi". The file is stopped here, before
  // Gradio sees it, and the reason is said in Vietnamese under the box.
  const limit = Number(window.KB_MAX_UPLOAD_BYTES) || 0;
  const mb = (bytes) => (bytes / 1048576).toLocaleString("vi-VN", {maximumFractionDigits: 1});
  const uploadNote = (input, text) => {
    const host = input.closest(".block") || input.parentElement;
    if (!host) return;
    let note = host.querySelector(":scope > .kb-upload-note");
    if (!text) { if (note) note.remove(); return; }
    if (!note) {
      note = document.createElement("div");
      note.className = "kb-error kb-action-error kb-upload-note";
      note.setAttribute("role", "alert");
      host.appendChild(note);
    }
    note.textContent = text;
  };
  const tooBig = (files) => (limit ? Array.from(files || []).filter((f) => f.size > limit) : []);
  const refusal = (big) => `Tệp ${big.map((f) => `“${f.name}” (${mb(f.size)} MB)`).join(", ")} lớn hơn giới hạn `
    + `${mb(limit)} MB cho mỗi tệp nên chưa được tải lên. Hãy tách văn bản thành các tệp nhỏ hơn (hoặc lưu lại `
    + "với ảnh nén nhỏ hơn) rồi chọn lại; cần giới hạn lớn hơn thì báo quản trị viên.";
  const guardInput = (ev) => {
    const input = ev.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file") return;
    const big = tooBig(input.files);
    if (!big.length) { if (input.files && input.files.length) uploadNote(input, ""); return; }
    ev.stopImmediatePropagation();
    ev.preventDefault();
    uploadNote(input, refusal(big));
    input.value = "";
  };
  window.addEventListener("change", guardInput, true);
  window.addEventListener("input", guardInput, true);
  window.addEventListener("drop", (ev) => {
    const big = tooBig(ev.dataTransfer && ev.dataTransfer.files);
    const input = ev.target instanceof Element
      && (ev.target.closest(".block") || document).querySelector("input[type=file]");
    if (!big.length || !input) return;
    ev.stopImmediatePropagation();
    ev.preventDefault();
    uploadNote(input, refusal(big));
  }, true);

  // Gradio's notices that no setting translates: the titles of its toasts, and the messages its
  // client writes itself. Rewritten as they appear.
  const TITLES = {Error: "Lỗi", Warning: "Lưu ý", Info: "Thông tin"};
  const MESSAGES = [
    [/^File\(s\) exceed the maximum allowed size of .*$/s, "Tệp lớn hơn giới hạn tải lên nên chưa được tải lên. Hãy tách văn bản thành các tệp nhỏ hơn rồi chọn lại."],
    [/^Connection errored out\.?$/, "Mất kết nối tới máy chủ. Hãy tải lại trang rồi thử lại."],
    [/^(HTTP \d+: )?.*(Too Large|too large).*$/s, "Tệp lớn hơn giới hạn tải lên nên máy chủ từ chối."],
    [/^Upload failed.*$/s, "Tải tệp lên không thành công; hãy thử lại."],
  ];
  const translateToasts = () => {
    document.querySelectorAll(".toast-wrap").forEach((wrap) => {
      const walker = document.createTreeWalker(wrap, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.nodeValue.trim();
        if (!text) continue;
        if (TITLES[text]) { node.nodeValue = TITLES[text]; continue; }
        const hit = MESSAGES.find(([re]) => re.test(text));
        if (hit) node.nodeValue = hit[1];
      }
    });
  };
  let queued = false;
  ready(() => {
    rove();
    new MutationObserver(() => {
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => { queued = false; rove(); translateToasts(); });
    }).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true,
                                attributeFilter: ["aria-selected"]});
  });
})();
