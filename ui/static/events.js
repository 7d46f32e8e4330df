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
    trigger("click", Object.assign({}, act.dataset));
  }
});
