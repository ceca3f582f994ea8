// The board refreshes itself: it asks every few seconds whether any ticket changed (a number that
// grows with every change) and reloads when one has, unless the filter form is being edited.
(function () {
  var board = document.getElementById("board");
  if (!board) return;
  var seen = board.dataset.version;
  var every = Math.max(2, parseInt(board.dataset.refresh, 10) || 10) * 1000;
  var editing = false;
  document.querySelectorAll(".filters input, .filters select").forEach(function (field) {
    field.addEventListener("input", function () { editing = true; });
  });
  function check() {
    fetch("/console/board.json", { credentials: "same-origin", cache: "no-store" })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (state) {
        if (state && String(state.version) !== seen && !editing) { window.location.reload(); return; }
        window.setTimeout(check, every);
      })
      .catch(function () { window.setTimeout(check, every); });
  }
  window.setTimeout(check, every);
})();
