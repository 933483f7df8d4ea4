// GOV.UK Frontend components (error summary focus, password reveal, navigation toggle).
import { initAll } from "/static/govuk/govuk-frontend.min.js";

initAll();

// "Select all" on the tracker: a checkbox that ticks every case shown.
document.querySelectorAll("[data-select-all]").forEach((box) => {
  box.addEventListener("change", () => {
    document.querySelectorAll(`input[name="${box.dataset.selectAll}"]`).forEach((other) => {
      other.checked = box.checked;
    });
  });
});
