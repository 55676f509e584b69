// The review queue reloads itself every 30 s (hx-trigger="every 30s [reviewQueueIdle()]"), but not
// while a reviewer is at work on it: a comment or a time typed, or the cursor in one of its fields.
// A function rather than an inline expression: htmx rewrites the names in a trigger filter, and an
// arrow function's parameter turned into a look-up is a SyntaxError that stopped every refresh guard.
window.reviewQueueIdle = function () {
  "use strict";
  const queue = document.getElementById("queue");
  if (!queue) return true;
  if (queue.contains(document.activeElement) && document.activeElement.matches("input, textarea, select, button")) {
    return false;
  }
  return !Array.prototype.some.call(queue.querySelectorAll("input:not([type=hidden]), textarea"), function (field) {
    return field.value !== field.defaultValue;
  });
};
