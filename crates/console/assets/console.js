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

// Live regions poll the server (hx-trigger="every Ns" data-live). A poll waits while the
// keyboard is inside the region, so focus is never swept away from a row's button, and a poll
// that brings nothing new is not swapped in, so screen readers hear only real changes.
document.addEventListener("htmx:beforeRequest", (e) => {
  const region = e.detail.elt;
  const focus = document.activeElement;
  if (region.hasAttribute("data-live") && focus && focus !== document.body && region.contains(focus)) {
    e.preventDefault();
  }
});
document.addEventListener("htmx:beforeSwap", (e) => {
  const region = e.detail.elt;
  if (!region.hasAttribute("data-live") || !e.detail.xhr || e.detail.xhr.status !== 200) return;
  const page = new DOMParser().parseFromString(e.detail.serverResponse, "text/html");
  const selector = region.getAttribute("hx-select");
  const fresh = selector ? page.querySelector(selector) : page.body.firstElementChild;
  if (fresh && fresh.innerHTML === region.innerHTML) e.detail.shouldSwap = false;
});

// An attachment takes at most five VPC networks: once five are ticked, the others wait.
document.addEventListener("change", (e) => {
  if (e.target.name !== "vpc_ids") return;
  const boxes = [...e.target.form.querySelectorAll("input[name=vpc_ids]")];
  const full = boxes.filter((b) => b.checked).length >= 5;
  for (const b of boxes) b.disabled = full && !b.checked;
});
