// A table wider than its box (the planner's, the sent e-mails', a shortlist's, on a phone) scrolls
// sideways inside its .table-wrap. Only then is the box a region named after the table (its caption,
// else the heading above it) that the keyboard can reach (arrow keys scroll it), with a line saying
// it scrolls and shadows at the edge that hides columns (public/css/app.css). A table that fits is
// left alone: a tab stop on it would be noise.
(function () {
  var hint = document.documentElement.getAttribute('data-scroll-hint') || '';
  function labelOf(wrap) {
    var table = wrap.querySelector('table');
    if (table && table.caption) return table.caption.textContent.trim();
    var label = '';
    var headings = document.querySelectorAll('h1, h2, h3, h4');
    for (var i = 0; i < headings.length; i++) {
      if (!(headings[i].compareDocumentPosition(wrap) & Node.DOCUMENT_POSITION_FOLLOWING)) break;
      label = headings[i].textContent.trim();
    }
    return label;
  }
  function update(wrap) {
    // A table laid out as cards on a phone (its box set to overflow-x: visible, public/css/cases.css)
    // does not scroll, even where a card's content measures wider: no hint, no region.
    var overflow = getComputedStyle(wrap).overflowX;
    var scrolls = (overflow === 'auto' || overflow === 'scroll') && wrap.scrollWidth > wrap.clientWidth + 1;
    if (scrolls === wrap.classList.contains('scrolls')) return;
    wrap.classList.toggle('scrolls', scrolls);
    var note = wrap.previousElementSibling && wrap.previousElementSibling.classList.contains('scroll-hint') ? wrap.previousElementSibling : null;
    if (scrolls) {
      wrap.setAttribute('role', 'region');
      wrap.setAttribute('tabindex', '0');
      var label = labelOf(wrap);
      if (label) wrap.setAttribute('aria-label', label);
      if (!note && hint) {
        note = document.createElement('p');
        note.className = 'scroll-hint';
        note.setAttribute('aria-hidden', 'true');
        note.textContent = hint;
        wrap.parentNode.insertBefore(note, wrap);
      }
    } else {
      wrap.removeAttribute('role');
      wrap.removeAttribute('tabindex');
      wrap.removeAttribute('aria-label');
      if (note) note.parentNode.removeChild(note);
    }
  }
  function all() {
    var wraps = document.querySelectorAll('.table-wrap');
    for (var i = 0; i < wraps.length; i++) update(wraps[i]);
  }
  all();
  var pending;
  window.addEventListener('resize', function () {
    clearTimeout(pending);
    pending = setTimeout(all, 100);
  });
})();
