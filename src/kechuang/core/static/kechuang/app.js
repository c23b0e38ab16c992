// Small behaviours the pages share, kept out of the HTML so the Content-Security-Policy allows no inline handlers.
// <select data-autosubmit>: choosing an option submits its form.
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el && el.matches && el.matches("[data-autosubmit]") && el.form) el.form.submit();
});
