// Progressive enhancement for the repeatable sections of the application form (publications,
// patents, projects led, dependants): rows are added and removed in the page. Each section is a
// [data-rows="<prefix>"] container of [data-row] elements whose fields are named
// <prefix>_<index>_<column>; the hidden <prefix>_rows field tells the server how many rows to read
// (it reads at most data-max). Without JavaScript the server's blank rows still work.
(function () {
  'use strict';
  var sections = document.querySelectorAll('[data-rows]');
  sections.forEach(function (section) {
    var prefix = section.getAttribute('data-rows');
    var max = Number(section.getAttribute('data-max')) || 40;
    var form = section.closest('form');
    var count = form && form.querySelector('input[type="hidden"][name="' + prefix + '_rows"]');
    if (!count) return;
    var pattern = new RegExp('^(f-)?' + prefix + '_\\d+_');

    function rows() {
      return Array.prototype.slice.call(section.querySelectorAll('[data-row]'));
    }

    function renumber() {
      var all = rows();
      all.forEach(function (row, i) {
        row.querySelectorAll('[name],[id],label[for]').forEach(function (el) {
          ['name', 'id', 'for'].forEach(function (attr) {
            var v = el.getAttribute(attr);
            if (v && pattern.test(v)) el.setAttribute(attr, v.replace(pattern, function (m, f) { return (f || '') + prefix + '_' + i + '_'; }));
          });
        });
        var label = row.querySelector('[data-row-label]');
        if (label) label.textContent = label.getAttribute('data-row-label').replace('{n}', String(i + 1));
      });
      count.value = String(all.length);
      add.disabled = all.length >= max;
    }

    function clear(row) {
      row.querySelectorAll('input, textarea').forEach(function (el) { el.value = ''; });
      row.querySelectorAll('select').forEach(function (el) { el.selectedIndex = 0; });
      row.querySelectorAll('.field-error').forEach(function (el) { el.remove(); });
      row.querySelectorAll('.field-invalid').forEach(function (el) { el.classList.remove('field-invalid'); });
      row.querySelectorAll('[aria-invalid]').forEach(function (el) { el.removeAttribute('aria-invalid'); el.removeAttribute('aria-describedby'); });
    }

    function withRemove(row) {
      var remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'button secondary small';
      remove.setAttribute('data-remove-row', '');
      remove.textContent = section.getAttribute('data-remove-label') || 'Remove';
      remove.addEventListener('click', function () {
        if (rows().length > 1) row.remove();
        else clear(row);
        renumber();
      });
      row.appendChild(remove);
    }

    var add = document.createElement('button');
    add.type = 'button';
    add.className = 'button secondary';
    add.setAttribute('data-add-row', prefix);
    add.textContent = section.getAttribute('data-add-label') || 'Add';
    add.addEventListener('click', function () {
      var all = rows();
      if (all.length >= max || all.length === 0) return;
      var copy = all[all.length - 1].cloneNode(true);
      copy.querySelectorAll('[data-remove-row]').forEach(function (el) { el.remove(); });
      clear(copy);
      section.appendChild(copy);
      withRemove(copy);
      renumber();
      var first = copy.querySelector('input, select, textarea');
      if (first) first.focus();
    });
    section.after(add);
    rows().forEach(withRemove);
    renumber();
  });
})();
