// Small behaviours for htmx, kept in a file because the CSP forbids inline script and eval.
document.addEventListener("htmx:afterSwap", function (event) {
  // Move focus to the first error after a form fragment comes back with problems.
  var invalid = event.target.querySelector("[aria-invalid='true']");
  if (invalid) { invalid.focus(); }
});
