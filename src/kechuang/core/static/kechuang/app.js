// Small behaviours the pages share, kept out of the HTML so the Content-Security-Policy allows no inline handlers.
// <select data-autosubmit>: choosing an option submits its form.
// <input type="checkbox" data-select-all="NAME">: ticks or clears every checkbox named NAME in its form.
// <form data-confirm="QUESTION">: asks before submitting. <input data-select-on-click>: selects its text (links
// to copy).
// <select data-reopen="NAME" data-reopen-anchor="ID">: choosing an option reopens the page with ?NAME=value#ID.
document.addEventListener("change", function (event) {
  var el = event.target;
  if (!el || !el.matches) return;
  if (el.matches("[data-autosubmit]") && el.form) el.form.submit();
  if (el.matches("[data-select-all]") && el.form) {
    el.form.querySelectorAll('input[name="' + el.dataset.selectAll + '"]').forEach(function (c) { c.checked = el.checked; });
  }
  if (el.matches("[data-reopen]")) {
    var anchor = el.dataset.reopenAnchor ? "#" + el.dataset.reopenAnchor : "";
    location.href = "?" + el.dataset.reopen + "=" + encodeURIComponent(el.value) + anchor;
  }
});

document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form && form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
});
document.addEventListener("click", function (event) {
  var el = event.target;
  if (el && el.matches && el.matches("[data-select-on-click]")) el.select();
});
