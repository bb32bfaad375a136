// Keyboard shortcuts: "/" focuses the page's search box, "g i" goes to the inbox, "n" opens the
// page's primary "new" action. Elements opt in with data-shortcut-search / data-shortcut-new.
(function () {
  let pendingG = false;
  document.addEventListener("keydown", function (event) {
    const target = event.target;
    if (target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) return;
    if (event.metaKey || event.ctrlKey || event.altKey) return;
    if (event.key === "/") {
      const search = document.querySelector("[data-shortcut-search]");
      if (search) { event.preventDefault(); search.focus(); }
    } else if (event.key === "n") {
      const link = document.querySelector("[data-shortcut-new]");
      if (link) { event.preventDefault(); link.click(); }
    } else if (event.key === "g") {
      pendingG = true; setTimeout(function () { pendingG = false; }, 800); return;
    } else if (pendingG && event.key === "i") {
      const inbox = document.querySelector("[data-nav-inbox]");
      if (inbox) window.location = inbox.getAttribute("href");
    }
    pendingG = false;
  });
})();
