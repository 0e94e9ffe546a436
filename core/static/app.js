// htmx requests carry the CSRF token of the page.
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
});

// Behaviour that templates ask for with data attributes (the Content-Security-Policy allows no inline
// script and no on*= attributes):
// a select with data-autosubmit sends its form when it changes;
document.addEventListener("change", function (event) {
  var select = event.target.closest ? event.target.closest("select[data-autosubmit]") : null;
  if (select && select.form) { select.form.submit(); }
});
// a form with data-question asks it before it is sent;
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset && form.dataset.question && !window.confirm(form.dataset.question)) {
    event.preventDefault();
  }
});
// a data-remove-line button takes its row out of the form and lets the form know it changed.
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("[data-remove-line]") : null;
  if (!button) { return; }
  var form = button.closest("form");
  button.closest("tr").remove();
  if (form) { htmx.trigger(form, "change"); }
});
