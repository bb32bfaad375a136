// Keyboard shortcuts: "/" focuses the page's search box, "n" opens the page's primary "new" action,
// "g i" / "g o" / "g a" go to the inbox / overview / accounts, "?" shows the shortcut list.
// Elements opt in with data-shortcut-search / data-shortcut-new / data-nav-inbox.
// Also: the mobile navigation toggle, the workspace switcher, and charts scrolled to their latest data.
(function () {
  let pendingG = false;
  let gTimer = null;

  function isTyping(target) {
    return target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  }

  function navLink(label) {
    // Sidebar links carry no ids; find them by their visible label.
    return Array.from(document.querySelectorAll(".sidebar nav a")).find(function (a) {
      return a.textContent.trim().toLowerCase() === label;
    });
  }

  function openShortcuts() {
    const dialog = document.getElementById("shortcuts");
    if (dialog && typeof dialog.showModal === "function" && !dialog.open) dialog.showModal();
  }

  document.addEventListener("keydown", function (event) {
    const target = event.target;
    if (event.key === "Escape" && isTyping(target) && target.matches("[data-shortcut-search]")) {
      target.blur();
      return;
    }
    if (isTyping(target)) return;
    if (event.metaKey || event.ctrlKey || event.altKey) return;
    if (document.querySelector("dialog[open]")) return;
    if (event.key === "/") {
      const search = document.querySelector("[data-shortcut-search]");
      if (search) { event.preventDefault(); search.focus(); if (search.select) search.select(); }
    } else if (event.key === "?") {
      event.preventDefault(); openShortcuts();
    } else if (pendingG && ["i", "o", "a"].includes(event.key)) {
      const link = event.key === "i" ? (document.querySelector("[data-nav-inbox]") || navLink("inbox"))
        : navLink(event.key === "o" ? "overview" : "accounts");
      if (link) window.location = link.getAttribute("href");
    } else if (event.key === "n") {
      const link = document.querySelector("[data-shortcut-new]");
      if (link) { event.preventDefault(); link.click(); }
    } else if (event.key === "g") {
      pendingG = true;
      clearTimeout(gTimer);
      gTimer = setTimeout(function () { pendingG = false; }, 1000);
      return;
    }
    pendingG = false;
  });

  document.addEventListener("click", function (event) {
    const opener = event.target.closest("[data-shortcuts-open]");
    if (opener) { openShortcuts(); return; }
    const toggle = event.target.closest("[data-nav-toggle]");
    if (toggle) {
      const app = document.getElementById("app");
      const open = !app.classList.contains("nav-open");
      app.classList.toggle("nav-open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
  });

  document.addEventListener("change", function (event) {
    const select = event.target.closest("[data-ws-switch]");
    if (select) window.location = "/w/" + encodeURIComponent(select.value) + "/";
  });

  function scrollCharts(root) {
    // On narrow screens charts scroll sideways; start at the newest data (the right end).
    (root || document).querySelectorAll("[data-chart-scroll]").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth) box.scrollLeft = box.scrollWidth;
    });
  }
  function openFiltersOnWideScreens() {
    // Filter panels fold away on phones only; on wider screens they are always open (their summary is hidden).
    if (!window.matchMedia("(min-width: 601px)").matches) return;
    document.querySelectorAll("details[data-filters]").forEach(function (d) { d.open = true; });
  }
  function showCurrentTab() {
    // Tabs scroll sideways on phones: keep the current one in view.
    document.querySelectorAll(".tabs").forEach(function (tabs) {
      const current = tabs.querySelector('[aria-current="page"]');
      if (current && tabs.scrollWidth > tabs.clientWidth) tabs.scrollLeft = Math.max(0, current.offsetLeft - tabs.offsetLeft - 16);
    });
  }
  // Behaviour that used to be inline (onsubmit=, onchange=, <script>): the Content-Security-Policy
  // allows scripts from this site's static files only.
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) { event.preventDefault(); return; }
    if (form.hasAttribute("data-disable-on-submit")) {
      setTimeout(function () { form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; }); }, 0);
    }
  });
  document.addEventListener("change", function (event) {
    const field = event.target.closest("[data-autosubmit]");
    if (field && field.form) field.form.submit();
  });
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.querySelector(button.dataset.copy);
    if (source && navigator.clipboard) {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () { button.textContent = "Copied"; });
    }
  });
  document.addEventListener("htmx:configRequest", function (event) {
    // Filter forms send only the filters that are set, so URLs stay short and shareable.
    if (!event.target.closest || !event.target.closest("[data-drop-empty-params]")) return;
    const data = event.detail.formData;
    if (!data) return;
    Array.from(data.keys()).forEach(function (k) { if (data.get(k) === "") data.delete(k); });
  });

  document.addEventListener("DOMContentLoaded", function () { scrollCharts(); openFiltersOnWideScreens(); showCurrentTab(); });
  window.addEventListener("resize", openFiltersOnWideScreens);
  document.addEventListener("htmx:afterSwap", function (event) { scrollCharts(event.target); });
})();
