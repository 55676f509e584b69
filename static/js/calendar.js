// The content calendar: drag a draft or a scheduled post onto another slot of the same account to
// move it. The server checks everything again and answers 204 (and the page reloads) or 400 with
// the reason, which is shown. Keyboard users move posts with the "Move" form on the post page.
(function () {
  "use strict";
  let dragged = null;
  document.addEventListener("dragstart", function (event) {
    const chip = event.target.closest && event.target.closest("[data-move]");
    if (!chip) return;
    dragged = chip;
    event.dataTransfer.setData("text/plain", chip.dataset.target);
    event.dataTransfer.effectAllowed = "move";
  });
  function slotOf(event) {
    const slot = event.target.closest && event.target.closest(".slot");
    if (!slot || !dragged) return null;
    const from = dragged.closest(".slot");
    return from && from.dataset.account === slot.dataset.account ? slot : null;
  }
  document.addEventListener("dragover", function (event) {
    if (slotOf(event)) { event.preventDefault(); event.dataTransfer.dropEffect = "move"; }
  });
  document.addEventListener("drop", function (event) {
    const slot = slotOf(event);
    if (!slot) return;
    event.preventDefault();
    const body = new URLSearchParams({ scheduled_at: slot.dataset.at });
    const token = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
    fetch(dragged.dataset.move, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": token, "HX-Request": "true" },
    }).then(function (response) {
      if (response.ok) { window.location.reload(); return; }
      return response.text().then(function (text) { window.alert(text); });
    });
    dragged = null;
  });
})();
