// The inbox and its conversations, for keyboard users: j/k move the focused row, x ticks it,
// o or Enter opens it, / jumps to the search. No key fires while the person types in a field.
// The list refreshes itself (htmx polling) except while items are ticked or a field has focus:
// window.inboxMayRefresh is the condition the poll asks. On a conversation, choosing a template
// puts its text into the reply, to be made the person's own.
(function () {
  "use strict";
  let current = null; // the focused row's item id, kept across refreshes

  function typing(element) {
    if (!element || element === document.body) return false;
    const tag = element.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable;
  }

  window.inboxMayRefresh = function () {
    const live = document.getElementById("inbox-live");
    if (!live) return false;
    if (live.querySelector("input[name=items]:checked")) return false;
    const active = document.activeElement;
    return !(typing(active) && active.type !== "checkbox");
  };

  function rows() {
    return Array.from(document.querySelectorAll("#inbox-live tr.inbox-row"));
  }

  function focusRow(row) {
    rows().forEach(function (r) { r.classList.remove("current"); r.removeAttribute("aria-current"); });
    if (!row) return;
    row.classList.add("current");
    row.setAttribute("aria-current", "true");
    current = row.dataset.item;
    const link = row.querySelector("a.open");
    if (link) link.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function currentRow() {
    return rows().find(function (r) { return r.dataset.item === current; }) || null;
  }

  function move(step) {
    const all = rows();
    if (!all.length) return;
    const index = all.indexOf(currentRow());
    const next = index < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, index + step));
    focusRow(all[next]);
  }

  // On a narrow screen the filters fold away behind their summary (open by default, so that without
  // script nothing is hidden) unless some are chosen: the first messages come first.
  const filters = document.getElementById("inbox-filters-disclosure");
  if (filters && filters.dataset.collapseNarrow === "true" && window.matchMedia("(max-width: 760px)").matches) {
    filters.open = false;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const active = document.activeElement;
    if (typing(active) && active.type !== "checkbox") return;
    if (!document.getElementById("inbox-live")) return;
    const row = currentRow();
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "x":
        if (!row) return;
        row.querySelector("input[name=items]").click();
        break;
      case "o":
      case "Enter":
        if (!row) return;
        if (event.key === "Enter" && active && active.tagName === "A") return; // the link opens itself
        window.location.href = row.querySelector("a.open").href;
        break;
      case "/": {
        const search = document.querySelector("#inbox-filters input[name=q]");
        if (!search) return;
        search.focus();
        search.select();
        break;
      }
      default: return;
    }
    event.preventDefault();
  });

  // A click in a row focuses it too, so that j/k go on from there.
  document.addEventListener("focusin", function (event) {
    const row = event.target.closest && event.target.closest("#inbox-live tr.inbox-row");
    if (row && row.dataset.item !== current) {
      rows().forEach(function (r) { r.classList.remove("current"); });
      row.classList.add("current");
      current = row.dataset.item;
    }
  });

  // After a refresh the same item keeps the focus mark (not the keyboard focus: the person may be elsewhere).
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id !== "inbox-live") return;
    const row = currentRow();
    if (row) row.classList.add("current");
  });

  // Choosing a template fills the reply; the live check then runs on the new text.
  document.addEventListener("change", function (event) {
    const select = event.target;
    if (!select.matches || !select.matches("select[data-fills]")) return;
    const option = select.options[select.selectedIndex];
    const area = document.querySelector(select.dataset.fills);
    if (!area || !option || !option.dataset.text) return;
    if (area.value.trim() && !window.confirm(select.dataset.replace || "Replace the reply with the template?")) return;
    area.value = option.dataset.text;
    area.dispatchEvent(new Event("input", { bubbles: true }));
    area.focus();
  });
})();
