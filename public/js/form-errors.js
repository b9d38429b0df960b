// After a refused form (a 422 page), the summary at the top lists what to fix, each a link that
// takes the person to its field, and the summary takes the focus: the field can be thousands of
// pixels down (a document's reason on a long case page) and the focus was left on the page itself.
// Without JavaScript the summary still says to fix the fields marked below.
(function () {
  var summary = document.getElementById('form-errors');
  if (!summary) return;
  function fieldOf(error) {
    var escaped = window.CSS && CSS.escape ? CSS.escape(error.id) : error.id;
    return document.querySelector('[aria-describedby~="' + escaped + '"]') || document.getElementById(error.id.replace(/-error$/, ''));
  }
  // A group (a fieldset of radios, the queue's table) is reached through its first field.
  function focusable(el) {
    if (/^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(el.tagName)) return el;
    return el.querySelector('input:not([type=hidden]), select, textarea, button') || el;
  }
  function reveal(el) {
    // A field inside a closed <details> (a decision to change) is opened first.
    for (var p = el.parentElement; p; p = p.parentElement) if (p.tagName === 'DETAILS') p.open = true;
  }
  var list = document.createElement('ul');
  var errors = document.querySelectorAll('.field-error[id]');
  for (var i = 0; i < errors.length; i++) {
    var error = errors[i];
    var text = (error.textContent || '').trim();
    if (!text || error.hidden) continue;
    var field = fieldOf(error);
    var link = document.createElement('a');
    link.textContent = text;
    link.href = '#' + (field && field.id ? field.id : error.id);
    if (field) {
      link.addEventListener('click', (function (f) {
        return function (e) {
          e.preventDefault();
          reveal(f);
          f.focus();
          f.scrollIntoView({ block: 'center' });
        };
      })(focusable(field)));
    }
    var item = document.createElement('li');
    item.appendChild(link);
    list.appendChild(item);
  }
  if (list.children.length) summary.appendChild(list);
  summary.setAttribute('tabindex', '-1');
  summary.focus();
})();
