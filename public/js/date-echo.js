// A native date input shows the day in the browser's own form ("12/05/2026" in an en-US browser),
// which beside the product's "5 Dec 2026" reads as 12 May. Each date input gets the chosen day
// echoed in the page's form, as formatDay writes it (server/views/time.ts): "5 Dec 2026" in
// English, "5/12/2026" in Vietnamese. The echo sits in the field partial's slot
// (views/partials/field.hbs), or one is added after a date input written by hand.
(function () {
  'use strict';
  var vi = document.documentElement.lang === 'vi';
  var en = null;
  try { en = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }); } catch (e) { en = null; }
  function text(value) {
    var m = /^(\d{4,})-(\d{2})-(\d{2})$/.exec(value || '');
    if (!m) return '';
    var y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
    if (vi || !en) return d + '/' + mo + '/' + y;
    var at = new Date(0);
    at.setUTCFullYear(y, mo - 1, d);
    return en.format(at);
  }
  function echoFor(input) {
    var echo = input.id ? document.querySelector('[data-date-echo="' + input.id + '"]') : null;
    if (!echo) {
      echo = document.createElement('span');
      echo.className = 'date-echo';
      if (input.id) echo.setAttribute('data-date-echo', input.id);
      input.parentNode.insertBefore(echo, input.nextSibling);
    }
    return echo;
  }
  var inputs = document.querySelectorAll('input[type="date"]');
  for (var i = 0; i < inputs.length; i++) {
    (function (input) {
      var echo = echoFor(input);
      function update() { echo.textContent = text(input.value); }
      input.addEventListener('input', update);
      input.addEventListener('change', update);
      update();
    })(inputs[i]);
  }
})();
