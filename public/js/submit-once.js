// One submit per form: a double tap on "Send" sent the form twice, and the second arrived as a
// stale form ("was not sent", although the first had been). The first submit of a POST form marks
// it busy; any further submit is dropped, and its submit buttons are disabled on the next tick (a
// button disabled during the submit event would drop its own name=value from what is sent).
// Re-enabled when the page comes back from the back-forward cache, when the browser refuses the
// form (a field's `invalid`), and after a while (a download leaves the page in place).
(function () {
  'use strict';
  var BUSY = 'data-submitting';
  function buttons(form) {
    var list = Array.prototype.slice.call(form.querySelectorAll('button[type="submit"], button:not([type]), input[type="submit"]'));
    if (form.id) list = list.concat(Array.prototype.slice.call(document.querySelectorAll('[form="' + form.id + '"][type="submit"]')));
    return list;
  }
  function release(form) {
    if (!form.hasAttribute(BUSY)) return;
    form.removeAttribute(BUSY);
    buttons(form).forEach(function (b) {
      if (b.hasAttribute('data-submit-once')) {
        b.disabled = false;
        b.removeAttribute('data-submit-once');
      }
    });
  }
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if ((form.getAttribute('method') || 'get').toLowerCase() !== 'post' || form.target === '_blank' || form.hasAttribute('data-submit-many')) return;
    if (event.defaultPrevented) return; // a script sends it itself (upload.js), with its own guard
    if (form.hasAttribute(BUSY)) {
      event.preventDefault();
      return;
    }
    form.setAttribute(BUSY, '');
    setTimeout(function () {
      buttons(form).forEach(function (b) {
        if (!b.disabled) {
          b.disabled = true;
          b.setAttribute('data-submit-once', '');
        }
      });
    }, 0);
    setTimeout(function () { release(form); }, 30000);
  });
  document.addEventListener('invalid', function (event) {
    var form = event.target && event.target.form;
    if (form) release(form);
  }, true);
  window.addEventListener('pageshow', function (event) {
    if (!event.persisted) return;
    Array.prototype.forEach.call(document.querySelectorAll('form[' + BUSY + ']'), release);
  });
})();
