// The process pages' diagrams, drawn from their Mermaid text by the vendored
// mermaid.min.js (static/vendor/mermaid/, MIT), started from this file (no inline
// script). The finished SVG's <style> element and style attributes are moved into the
// CSSOM (a constructed CSSStyleSheet, element.style), which a CSP does not govern, so
// the diagram needs no inline style; only Mermaid's label measuring does (see
// familyflow/http/security.py, PROCESS_POLICY). Without JavaScript, or if drawing
// fails, the Mermaid text and the list of stages stay.

const mermaid = window.mermaid;
mermaid.initialize({
  startOnLoad: false,
  securityLevel: "strict",
  theme: "neutral",
  fontFamily: "arial, sans-serif",
  htmlLabels: false, // SVG text, not HTML in foreignObject
  state: { useMaxWidth: false }, // drawn at its own size; the frame scrolls (pan)
});

let drawn = 0;

async function draw(source) {
  if (source.dataset.drawn) return;
  source.dataset.drawn = "yes";
  drawn += 1;
  const id = `ff-diagram-${drawn}`;
  let svg;
  try {
    ({ svg } = await mermaid.render(id, source.textContent));
  } catch (error) {
    source.dataset.drawn = "failed";
    return;
  }
  const parsed = new DOMParser().parseFromString(svg, "image/svg+xml").documentElement;
  const sheets = [];
  parsed.querySelectorAll("style").forEach((style) => {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(style.textContent);
    sheets.push(sheet);
    style.remove();
  });
  const styles = [];
  [parsed, ...parsed.querySelectorAll("[style]")].forEach((element) => {
    const text = element.getAttribute("style");
    if (text === null) return;
    element.setAttribute("data-ff-style", String(styles.length));
    styles.push(text);
    element.removeAttribute("style");
  });
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, ...sheets];
  const picture = document.importNode(parsed, true);
  [picture, ...picture.querySelectorAll("[data-ff-style]")].forEach((element) => {
    const index = element.getAttribute("data-ff-style");
    if (index === null) return;
    element.style.cssText = styles[Number(index)];
    element.removeAttribute("data-ff-style");
  });
  picture.classList.add("ff-mermaid__svg");
  const frame = source.closest("[data-diagram-frame]");
  source.hidden = true;
  (frame || source.parentElement).append(picture);
  if (frame) frame.dataset.ready = "yes";
}

// Mermaid draws one diagram at a time: each waits for the one before.
let queue = Promise.resolve();
const later = (source) => {
  queue = queue.then(() => draw(source));
};

// The whole process now; each stage's own diagram when its details are opened.
document.querySelectorAll("[data-diagram]").forEach((source) => {
  const details = source.closest("details");
  if (details && !details.open) {
    details.addEventListener("toggle", () => details.open && later(source));
  } else {
    later(source);
  }
});
