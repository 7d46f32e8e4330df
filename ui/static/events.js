// Delegated clicks for the gr.HTML panels (run by Gradio as `js_on_load`; `element` and
// `trigger` are provided). `data-copy` copies in the browser only; `data-action` sends the
// element's data-* attributes to the server as the click event's data.
const kbCopy = async (text, btn) => {
  let ok = false;
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      ok = true;
    }
  } catch (e) { ok = false; }
  if (!ok) {
    const ta = document.createElement("textarea");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.style.position = "fixed";
    ta.style.opacity = "0";
    document.body.appendChild(ta);
    ta.select();
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    ta.remove();
  }
  window.kbLastCopied = text;
  if (!btn.dataset.label) { btn.dataset.label = btn.textContent; }
  btn.textContent = ok ? "Đã sao chép ✓" : "Trình duyệt chặn sao chép — hãy bôi đen và sao chép";
  setTimeout(() => { btn.textContent = btn.dataset.label; }, 2500);
};
const KB_FOCUS_PANEL = {cite: "kb-clause", near: "kb-clause", tree: "kb-tree"};
// Phone width (kb.css uses the same breakpoint): the clause panel is a drawer over the page there.
const kbPhone = () => window.matchMedia("(max-width: 640px)").matches;
// The clause panel as a drawer (phone): opened over the conversation, which stays where it was; "Đóng" or
// Escape closes it and gives the focus back to what opened it.
const kbCloseDrawer = () => {
  const host = document.getElementById("kb-clause");
  if (!host || !host.classList.contains("kb-drawer-open")) { return; }
  host.classList.remove("kb-drawer-open");
  const back = window.kbDrawerOpener;
  window.kbDrawerOpener = null;
  if (back && document.contains(back)) { back.focus({preventScroll: true}); }
};
const kbOpenDrawer = (host) => {
  if (!host.querySelector(":scope > .kb-drawer-close")) {
    const close = document.createElement("button");
    close.type = "button";
    close.className = "kb-drawer-close";
    close.textContent = "Đóng ✕";
    close.title = "Đóng khung điều khoản";
    close.addEventListener("click", kbCloseDrawer);
    host.prepend(close);
  }
  host.classList.add("kb-drawer-open");
};
if (!window.kbDrawerKeys) {
  window.kbDrawerKeys = true;
  document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") { kbCloseDrawer(); } });
}
const kbShowPanel = (id, fallback) => {
  const want = window.kbPendingFocus;
  if (!want || want.id !== id || Date.now() > want.until) { return; }
  const host = document.getElementById(id);
  const target = host && host.querySelector(id === "kb-clause" ? ".kb-clause[data-node]" : ".kb-tree[data-key]");
  if (!target || (want.key && target.dataset.key !== want.key && !fallback)) { return; }
  window.kbPendingFocus = null;
  if (id === "kb-clause") {
    // Opening a clause never moves the conversation: the panel is sticky beside it (desktop) or a
    // drawer over it (phone); only the focus goes to the clause.
    if (kbPhone()) { kbOpenDrawer(host); }
    target.focus({preventScroll: true});
    return;
  }
  const show = () => {
    const top = target.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight - 80) { target.scrollIntoView({block: "start"}); }
  };
  show();
  target.focus({preventScroll: true});
  // Gradio settles the layout after the value lands (status overlays, the column growing): look again.
  requestAnimationFrame(show);
  setTimeout(show, 300);
  setTimeout(show, 1000);
};
// A suggested question ("Có phải bạn muốn hỏi: …"): put in the question box and asked.
const kbAsk = (text) => {
  const box = document.querySelector("#kb-question textarea, #kb-question input");
  const btn = document.querySelector("#kb-ask-btn");
  if (!box || !btn) { return; }
  box.value = text;
  box.dispatchEvent(new Event("input", {bubbles: true}));
  setTimeout(() => btn.click(), 50);
};
element.addEventListener("click", (ev) => {
  const askBtn = ev.target.closest("[data-ask]");
  if (askBtn && element.contains(askBtn)) {
    ev.preventDefault();
    kbAsk(askBtn.dataset.ask);
    return;
  }
  const copyBtn = ev.target.closest("[data-copy]");
  if (copyBtn && element.contains(copyBtn)) {
    ev.preventDefault();
    kbCopy(copyBtn.dataset.copy, copyBtn);
    return;
  }
  const act = ev.target.closest("[data-action]");
  if (act && element.contains(act)) {
    if (act.matches("summary")) {
      // A clause chip opens in place (the <details> toggles as usual); opening it also fills the
      // clause panel beside the conversation, except on a phone, where the drawer would cover the
      // chip just opened (its "Xem toàn văn…" button opens the drawer there).
      const details = act.parentElement;
      if ((details && details.open) || kbPhone()) { return; }
    } else {
      ev.preventDefault();
    }
    if (act.dataset.drawer) { window.kbDrawerOpener = act; }
    const panel = KB_FOCUS_PANEL[act.dataset.action];
    if (panel) {
      const want = {id: panel, key: act.dataset.key || "", until: Date.now() + 30000};
      window.kbPendingFocus = want;
      // The same clause clicked again changes nothing in the panel, so no mutation fires: show it anyway.
      setTimeout(() => { if (window.kbPendingFocus === want) { kbShowPanel(panel, true); } }, 1500);
    }
    const data = Object.assign({}, act.dataset);
    delete data.drawer;
    trigger("click", data);
  }
});
// Results where the eye is: after a citation chip (or a catalogue entry) is clicked, the panel the
// server fills is scrolled into view and focused when its new content arrives. On a phone the clause
// panel sits below the whole conversation, so without this the click seems to do nothing.
const kbHost = element.closest("#kb-chat, #kb-clause, #kb-tree");
if (kbHost && kbHost.id === "kb-chat") {
  element.setAttribute("aria-live", "polite");  // screen readers hear the answer as it arrives
  // The question just asked (ASK_JS) at the top of the screen once its answer is in, so the lead and the
  // first clauses are on the first screen below it; only that once, never while the reader is reading.
  new MutationObserver(() => {
    const want = window.kbFollowTurn;
    if (!want || Date.now() > want.until) { return; }
    const turn = element.querySelector(`.kb-turn[data-turn="${want.index}"]`);
    if (!turn || !turn.querySelector(".kb-a:not(.kb-pending)")) { return; }
    window.kbFollowTurn = null;
    requestAnimationFrame(() => turn.scrollIntoView({block: "start"}));
  }).observe(element, {childList: true, subtree: true});
}
if (kbHost && (kbHost.id === "kb-clause" || kbHost.id === "kb-tree")) {
  new MutationObserver(() => kbShowPanel(kbHost.id, false)).observe(element, {childList: true, subtree: true});
}
// A lookup's result (found, ambiguous or not found) is said to screen readers when it arrives: the
// panel is a live region that stays in the page while Gradio replaces its content.
if (element.closest("#kb-lookup-result")) {
  element.setAttribute("role", "status");
  element.setAttribute("aria-live", "polite");
}
// Another tab of this browser stored the conversations (gr.BrowserState writes localStorage): the
// stored value goes to the server, which makes it this tab's too (ConversationActions.adopt_stored),
// so the tab that saves next keeps the other's conversations instead of writing over them.
if (element.closest("#kb-conversations")) {
  window.addEventListener("storage", (ev) => {
    if (ev.key === "kb-conversations" && ev.storageArea === window.localStorage && ev.newValue) {
      trigger("click", {action: "stored-elsewhere", stored: ev.newValue});
    }
  });
}
