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
const KB_FOCUS_PANEL = {cite: "kb-clause", tree: "kb-tree"};
const kbShowPanel = (id, fallback) => {
  const want = window.kbPendingFocus;
  if (!want || want.id !== id || Date.now() > want.until) { return; }
  const host = document.getElementById(id);
  const target = host && host.querySelector(id === "kb-clause" ? ".kb-clause[data-node]" : ".kb-tree[data-key]");
  if (!target || (want.key && target.dataset.key !== want.key && !fallback)) { return; }
  window.kbPendingFocus = null;
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
element.addEventListener("click", (ev) => {
  const copyBtn = ev.target.closest("[data-copy]");
  if (copyBtn && element.contains(copyBtn)) {
    ev.preventDefault();
    kbCopy(copyBtn.dataset.copy, copyBtn);
    return;
  }
  const act = ev.target.closest("[data-action]");
  if (act && element.contains(act)) {
    ev.preventDefault();
    const panel = KB_FOCUS_PANEL[act.dataset.action];
    if (panel) {
      const want = {id: panel, key: act.dataset.key || "", until: Date.now() + 30000};
      window.kbPendingFocus = want;
      // The same clause clicked again changes nothing in the panel, so no mutation fires: show it anyway.
      setTimeout(() => { if (window.kbPendingFocus === want) { kbShowPanel(panel, true); } }, 1500);
    }
    trigger("click", Object.assign({}, act.dataset));
  }
});
// Results where the eye is: after a citation chip (or a catalogue entry) is clicked, the panel the
// server fills is scrolled into view and focused when its new content arrives. On a phone the clause
// panel sits below the whole conversation, so without this the click seems to do nothing.
const kbHost = element.closest("#kb-chat, #kb-clause, #kb-tree");
if (kbHost && kbHost.id === "kb-chat") {
  element.setAttribute("aria-live", "polite");  // screen readers hear the answer as it arrives
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
