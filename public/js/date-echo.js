// The forms' day fields are text inputs typed day first, dd/mm/yyyy (views/partials/field.hbs: a
// native date input shows the browser's own order, "12/05/2026" in an en-US browser, whatever the
// page's language). Each one gets the day it reads echoed in the page's form, as formatDay writes
// it (server/views/time.ts): "5 Dec 2026" in English, "5/12/2026" in Vietnamese, so that a day
// typed month first (12/05/2026 for 5 Dec) shows as 12 May before it is sent. The server reads
// the same two forms (server/support/calendar-day.ts isoDay). The echo sits in the field partial's
// slot, or one is added after a day input written by hand.
(function () {
  'use strict';
  var vi = document.documentElement.lang === 'vi';
  var en = null;
  try { en = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }); } catch (e) { en = null; }
  function text(value) {
    var v = (value || '').trim();
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
    var y, mo, d;
    if (m) { y = Number(m[1]); mo = Number(m[2]); d = Number(m[3]); }
    else {
      m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(v);
      if (!m) return '';
      d = Number(m[1]); mo = Number(m[2]); y = Number(m[3]);
    }
    var at = new Date(0);
    at.setUTCFullYear(y, mo - 1, d);
    // No such day (31/02): no echo; the server says what is wrong.
    if (at.getUTCFullYear() !== y || at.getUTCMonth() !== mo - 1 || at.getUTCDate() !== d) return '';
    if (vi || !en) return d + '/' + mo + '/' + y;
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
  var inputs = document.querySelectorAll('input[data-day], input[type="date"]');
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
