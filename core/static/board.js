// The pipeline board: drag a card onto another stage's column. The move is posted with the page's
// CSRF token; the server runs the same stage-move service as the card's form, so exit rules hold.
// A refused move puts the card back where it was and shows why; an accepted one reloads the board.
(function () {
  "use strict";
  var dragged = null, origin = null, before = null;

  function board() { return document.getElementById("board"); }
  function token() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }
  function say(text, ok) {
    var box = document.getElementById("board-message");
    box.textContent = text;
    box.className = "flash " + (ok ? "flash-success" : "flash-error");
    box.hidden = false;
  }
  function columnOf(node) { return node && node.closest ? node.closest("[data-stage-id].board-column") : null; }
  function clearTargets() {
    document.querySelectorAll(".board-column.drop-target").forEach(function (c) { c.classList.remove("drop-target"); });
  }
  function refresh() {
    return fetch(window.location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (answer) { return answer.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("board");
        if (fresh && board()) { board().replaceWith(fresh); }
      });
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest ? event.target.closest("[data-card][draggable=true]") : null;
    if (!card) { return; }
    dragged = card; origin = card.parentNode; before = card.nextSibling;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.card);
  });
  document.addEventListener("dragend", function () { dragged = null; clearTargets(); });
  document.addEventListener("dragover", function (event) {
    var column = columnOf(event.target);
    if (!column || !dragged) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    clearTargets();
    column.classList.add("drop-target");
  });
  document.addEventListener("drop", function (event) {
    var column = columnOf(event.target);
    if (!column || !dragged) { return; }
    event.preventDefault();
    clearTargets();
    var card = dragged, from = origin, next = before;
    dragged = null;
    if (column.dataset.stageId === card.dataset.stageId) { return; }
    column.querySelector(".cards").appendChild(card);
    card.setAttribute("aria-busy", "true");
    var body = new FormData();
    body.append("opportunity_id", card.dataset.opportunityId);
    body.append("stage_id", column.dataset.stageId);
    var reason = card.querySelector('select[name="lost_reason"]');
    if (reason && reason.value) { body.append("lost_reason", reason.value); }
    function goBack(message) {
      from.insertBefore(card, next && next.parentNode === from ? next : null);
      card.removeAttribute("aria-busy");
      say(message, false);
    }
    fetch(board().dataset.moveUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": token(), "Accept": "application/json"}
    }).then(function (answer) {
      return answer.json().then(function (data) { return {ok: answer.ok, data: data}; });
    }).then(function (result) {
      if (result.ok) {
        say(result.data.message, true);
        return refresh();
      }
      goBack(result.data.message);
    }).catch(function () { goBack(board().dataset.failed); });
  });
})();
