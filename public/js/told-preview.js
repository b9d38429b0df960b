// A leader's rejection, confirmation page (views/shortlists/confirm.hbs): the e-mail preview shows
// the words for the candidate as they are typed, and the form says these are the words previewed
// (previewedToldReason), so confirming sends what the preview showed. Without this script the
// server refuses words that differ from the preview and draws it again (routes/shortlists.ts).
(function () {
  'use strict';
  var form = document.getElementById('confirm-form');
  var shown = document.getElementById('preview-told');
  var previewed = form && form.querySelector('input[name="previewedToldReason"]');
  var field = form && form.querySelector('textarea[name="toldReason"]');
  if (!field || !shown || !previewed) return;
  field.addEventListener('input', function () {
    var words = field.value.trim();
    shown.textContent = words;
    previewed.value = words;
  });
})();
