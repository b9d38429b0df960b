// A text area with a limit (maxlength) stops taking characters at it without a word: the field
// partial (views/partials/field.hbs) says the limit under it, and this turns that line into a count
// of the characters used ("120 of 2,000 characters used."), in the page's number form. The count is
// announced to screen readers only near the limit, not on every key.
(function () {
  'use strict';
  var fmt = null;
  try { fmt = new Intl.NumberFormat(document.documentElement.lang === 'vi' ? 'vi-VN' : 'en-GB'); } catch (e) { fmt = null; }
  function number(n) { return fmt ? fmt.format(n) : String(n); }
  var counts = document.querySelectorAll('[data-char-count]');
  Array.prototype.forEach.call(counts, function (el) {
    var area = document.getElementById(el.id.replace(/-count$/, ''));
    var max = area ? Number(area.getAttribute('maxlength')) : 0;
    var template = el.getAttribute('data-char-count') || '';
    if (!area || !max || template.indexOf('__USED__') < 0) return;
    function update() {
      var used = area.value.length;
      var near = used >= max * 0.9;
      el.textContent = template.replace('__USED__', number(used));
      el.classList.toggle('char-count-near', near);
      el.setAttribute('aria-live', near ? 'polite' : 'off');
    }
    area.addEventListener('input', update);
    update();
  });
})();
