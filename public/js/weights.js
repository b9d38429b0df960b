// The call form's scorecard: each weight's share of the total, kept current while the
// administrator types (weights are relative; the server shows the same after each round trip).
(function () {
  'use strict';
  var table = document.querySelector('table[data-weights]');
  if (!table) return;
  var lang = document.documentElement.lang === 'vi' ? 'vi-VN' : 'en-GB';
  var pct = new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 0 });
  // "{share} of the total" in the page's language, read from a share the server rendered, else bare.
  var template = table.getAttribute('data-share-template') || '{share}';

  function update() {
    var inputs = Array.prototype.slice.call(table.querySelectorAll('input[data-weight]'));
    var values = inputs.map(function (i) { return i.value.trim() === '' ? null : Number(i.value); });
    var ok = values.every(function (v) { return v === null || (isFinite(v) && v >= 0 && v <= 100); });
    var total = values.reduce(function (a, v) { return a + (v || 0); }, 0);
    inputs.forEach(function (input, i) {
      var out = input.parentNode.querySelector('[data-share]');
      if (!out) return;
      out.textContent = ok && total > 0 && values[i] !== null ? template.replace('{share}', pct.format(values[i] / total)) : '';
    });
  }

  table.addEventListener('input', update);
})();
