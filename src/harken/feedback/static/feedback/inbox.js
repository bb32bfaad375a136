// Inbox bulk selection (docs/feedback.md): "select all on this page", the "N selected" count, and
// Enter in a bulk field runs that field's own action (not the first one in the form).
// Without JavaScript the row checkboxes and the bulk buttons still work; only "select all" is hidden.
// With htmx a bulk action swaps the inbox list in place; focus then moves to the result (the flash
// message), so keyboard and screen-reader users hear what happened and continue from there.
(function () {
  function items() { return Array.from(document.querySelectorAll("[data-bulk-item]")); }
  function refresh() {
    const all = document.querySelector("[data-bulk-all]");
    const boxes = items();
    const n = boxes.filter(function (b) { return b.checked; }).length;
    const count = document.querySelector("[data-bulk-count]");
    if (count) count.textContent = n ? n + " selected" : "Tick items below, then choose what to do with them.";
    if (all) {
      all.hidden = false;
      all.checked = boxes.length > 0 && n === boxes.length;
      all.indeterminate = n > 0 && n < boxes.length;
    }
  }
  document.addEventListener("change", function (event) {
    const target = event.target;
    if (target.matches && target.matches("[data-bulk-all]")) {
      items().forEach(function (b) { b.checked = target.checked; });
      refresh();
    } else if (target.matches && target.matches("[data-bulk-item]")) {
      refresh();
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !event.target.closest) return;
    const field = event.target;
    if (field.tagName !== "INPUT" || !field.closest("[data-bulk-form]")) return;
    const fieldset = field.closest("fieldset");
    const button = fieldset && fieldset.querySelector("button[name=action]");
    if (button) { event.preventDefault(); button.click(); }
  });
  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("[data-bulk-form] button[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });
  document.addEventListener("DOMContentLoaded", refresh);
  document.addEventListener("htmx:afterSwap", function (event) {
    refresh();
    const source = event.detail && event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!source || !source.matches || !source.matches("[data-bulk-form]")) return;
    const flash = document.querySelector("[data-inbox-flash]");
    if (flash && flash.textContent.trim()) flash.focus();
  });
})();
