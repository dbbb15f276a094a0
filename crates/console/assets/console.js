// The console's only script of its own: copy buttons. Everything else is HTML forms and htmx.
document.addEventListener("click", async (e) => {
  const button = e.target.closest("[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  const status = document.getElementById(button.dataset.copy + "-copied");
  try {
    await navigator.clipboard.writeText(source.textContent.trim());
    if (status) status.textContent = "Copied";
  } catch (_) {
    // Clipboard needs a secure context; select the text so Ctrl+C works instead.
    const range = document.createRange();
    range.selectNodeContents(source);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    if (status) status.textContent = "Selected: press Ctrl+C to copy";
  }
});
